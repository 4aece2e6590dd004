package validation

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var (
	portProtocols  = []corev1.Protocol{corev1.ProtocolSCTP, corev1.ProtocolTCP, corev1.ProtocolUDP}
	restartPolices = []corev1.RestartPolicy{corev1.RestartPolicyAlways, corev1.RestartPolicyOnFailure, corev1.RestartPolicyNever}
	dnsPolicies    = []corev1.DNSPolicy{corev1.DNSClusterFirstWithHostNet, corev1.DNSClusterFirst, corev1.DNSDefault, corev1.DNSNone}
	pullPolicies   = []corev1.PullPolicy{corev1.PullAlways, corev1.PullIfNotPresent, corev1.PullNever}
	termPolicies   = []corev1.TerminationMessagePolicy{corev1.TerminationMessageReadFile, corev1.TerminationMessageFallbackToLogsOnError}
)

// updatablePodSpecFields is quoted in the error for a forbidden pod spec change.
var updatablePodSpecFields = []string{
	"`spec.containers[*].image`",
	"`spec.initContainers[*].image`",
	"`spec.activeDeadlineSeconds`",
	"`spec.tolerations` (only additions to existing tolerations)",
	"`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
}

// ValidatePod checks a pod on create.
func ValidatePod(obj runtime.Object) field.ErrorList {
	return create(obj, validatePod)
}

func validatePod(pod *corev1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := objectMeta(&pod.ObjectMeta, true, NameIsDNSSubdomain)
	allErrs = append(allErrs, podSpec(&pod.Spec, specPath)...)
	if pod.Spec.TerminationGracePeriodSeconds != nil {
		allErrs = append(allErrs, nonNegative(*pod.Spec.TerminationGracePeriodSeconds, specPath.Child("terminationGracePeriodSeconds"))...)
	}
	// Pods, unlike templates, may not carry images padded with spaces.
	for i, c := range pod.Spec.Containers {
		allErrs = append(allErrs, imageNotPadded(c.Image, specPath.Child("containers").Index(i).Child("image"))...)
	}
	for i, c := range pod.Spec.InitContainers {
		allErrs = append(allErrs, imageNotPadded(c.Image, specPath.Child("initContainers").Index(i).Child("image"))...)
	}
	return allErrs
}

// ValidatePodUpdate allows only image, activeDeadlineSeconds, toleration additions and
// a few other fields to change, with upstream's message for anything else.
func ValidatePodUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, validatePodUpdate)
}

func validatePodUpdate(pod, old *corev1.Pod) field.ErrorList {
	specPath := field.NewPath("spec")
	allErrs := objectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta)
	allErrs = append(allErrs, validatePod(pod)...)

	for _, c := range []struct {
		name     string
		now, was []corev1.Container
	}{{"containers", pod.Spec.Containers, old.Spec.Containers}, {"initContainers", pod.Spec.InitContainers, old.Spec.InitContainers}} {
		if len(c.now) != len(c.was) {
			return append(allErrs, field.Forbidden(specPath.Child(c.name), "pod updates may not add or remove containers"))
		}
	}

	ads := specPath.Child("activeDeadlineSeconds")
	if now := pod.Spec.ActiveDeadlineSeconds; now != nil {
		if *now < 0 || *now > math.MaxInt32 {
			return append(allErrs, field.Invalid(ads, *now, utilvalidation.InclusiveRangeError(0, math.MaxInt32)))
		}
		if was := old.Spec.ActiveDeadlineSeconds; was != nil && *was < *now {
			return append(allErrs, field.Invalid(ads, *now, "must be less than or equal to previous value"))
		}
	} else if old.Spec.ActiveDeadlineSeconds != nil {
		allErrs = append(allErrs, field.Invalid(ads, pod.Spec.ActiveDeadlineSeconds, "must not update from a positive integer to nil value"))
	}

	allErrs = append(allErrs, onlyAddedTolerations(pod.Spec.Tolerations, old.Spec.Tolerations, specPath.Child("tolerations"))...)
	allErrs = append(allErrs, onlyRemovedSchedulingGates(pod.Spec.SchedulingGates, old.Spec.SchedulingGates, specPath.Child("schedulingGates"))...)

	if apiequality.Semantic.DeepEqual(pod.Spec, old.Spec) {
		return allErrs
	}
	// Copy the mutable fields from old into a copy of new: what remains must match.
	munged := pod.Spec.DeepCopy()
	for i := range munged.Containers {
		munged.Containers[i].Image = old.Spec.Containers[i].Image
	}
	for i := range munged.InitContainers {
		munged.InitContainers[i].Image = old.Spec.InitContainers[i].Image
	}
	munged.ActiveDeadlineSeconds = old.Spec.ActiveDeadlineSeconds
	munged.SchedulingGates = old.Spec.SchedulingGates
	munged.Tolerations = old.Spec.Tolerations
	if was := old.Spec.TerminationGracePeriodSeconds; was != nil && *was < 0 &&
		munged.TerminationGracePeriodSeconds != nil && *munged.TerminationGracePeriodSeconds == 1 {
		munged.TerminationGracePeriodSeconds = was
	}
	// Gated pods may gain node selector entries before they are scheduled.
	if len(old.Spec.SchedulingGates) > 0 && !apiequality.Semantic.DeepEqual(munged.NodeSelector, old.Spec.NodeSelector) {
		for k, v := range old.Spec.NodeSelector {
			if nv, ok := munged.NodeSelector[k]; !ok || nv != v {
				allErrs = append(allErrs, field.Invalid(specPath.Child("nodeSelector"), munged.NodeSelector, "only additions to spec.nodeSelector are allowed (no mutations or deletions)"))
				break
			}
		}
		munged.NodeSelector = old.Spec.NodeSelector
	}
	if !apiequality.Semantic.DeepEqual(*munged, old.Spec) {
		allErrs = append(allErrs, field.Forbidden(specPath, fmt.Sprintf("pod updates may not change fields other than %s\n%v",
			strings.Join(updatablePodSpecFields, ","), diff.Diff(old.Spec, *munged))))
	}
	return allErrs
}

// ValidatePodStatusUpdate checks metadata and that nodeName is not changed through
// status.
func ValidatePodStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pod, old *corev1.Pod) field.ErrorList {
		allErrs := objectMetaUpdate(&pod.ObjectMeta, &old.ObjectMeta)
		if old.Spec.NodeName != "" && pod.Spec.NodeName != old.Spec.NodeName {
			allErrs = append(allErrs, field.Forbidden(field.NewPath("status", "nodeName"), "may not be changed directly"))
		}
		for i, c := range pod.Status.Conditions {
			p := field.NewPath("status", "conditions").Index(i)
			allErrs = append(allErrs, qualifiedName(string(c.Type), p.Child("type"))...)
		}
		return allErrs
	})
}

func onlyAddedTolerations(now, was []corev1.Toleration, fldPath *field.Path) field.ErrorList {
	for _, o := range was {
		found := false
		for _, n := range now {
			o.TolerationSeconds = n.TolerationSeconds
			if reflect.DeepEqual(o, n) {
				found = true
				break
			}
		}
		if !found {
			return field.ErrorList{field.Forbidden(fldPath, "existing toleration can not be modified except its tolerationSeconds")}
		}
	}
	return nil
}

func onlyRemovedSchedulingGates(now, was []corev1.PodSchedulingGate, fldPath *field.Path) field.ErrorList {
	if len(now) == 0 {
		return nil
	}
	old := map[string]bool{}
	for _, g := range was {
		old[g.Name] = true
	}
	for _, g := range now {
		if !old[g.Name] {
			return field.ErrorList{field.Forbidden(fldPath, "only deletion is allowed, but found new scheduling gate '"+g.Name+"'")}
		}
	}
	return nil
}

// podSpec checks a pod spec, alone or inside a template.
func podSpec(spec *corev1.PodSpec, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if spec.TerminationGracePeriodSeconds == nil {
		allErrs = append(allErrs, field.Required(fldPath.Child("terminationGracePeriodSeconds"), ""))
	}
	vols, volErrs := volumes(spec.Volumes, fldPath.Child("volumes"))
	allErrs = append(allErrs, volErrs...)

	cPath := fldPath.Child("containers")
	names := map[string]bool{}
	if len(spec.Containers) == 0 {
		allErrs = append(allErrs, field.Required(cPath, ""))
	}
	for i := range spec.Containers {
		c := &spec.Containers[i]
		p := cPath.Index(i)
		allErrs = append(allErrs, container(c, vols, p)...)
		if names[c.Name] {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
		}
		names[c.Name] = true
		if c.RestartPolicy != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("restartPolicy"), "may not be set for non-init containers"))
		}
	}
	iPath := fldPath.Child("initContainers")
	for i := range spec.InitContainers {
		c := &spec.InitContainers[i]
		p := iPath.Index(i)
		allErrs = append(allErrs, container(c, vols, p)...)
		if names[c.Name] {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), c.Name))
		}
		names[c.Name] = true
	}

	allErrs = append(allErrs, enum(spec.RestartPolicy, restartPolices, fldPath.Child("restartPolicy"))...)
	allErrs = append(allErrs, enum(spec.DNSPolicy, dnsPolicies, fldPath.Child("dnsPolicy"))...)
	allErrs = append(allErrs, metav1validation.ValidateLabels(spec.NodeSelector, fldPath.Child("nodeSelector"))...)
	if spec.ServiceAccountName != "" {
		for _, msg := range NameIsDNSSubdomain(spec.ServiceAccountName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("serviceAccountName"), spec.ServiceAccountName, msg))
		}
	}
	if spec.NodeName != "" {
		for _, msg := range NameIsDNSSubdomain(spec.NodeName, false) {
			allErrs = append(allErrs, field.Invalid(fldPath.Child("nodeName"), spec.NodeName, msg))
		}
	}
	if v := spec.ActiveDeadlineSeconds; v != nil && (*v < 1 || *v > math.MaxInt32) {
		allErrs = append(allErrs, field.Invalid(fldPath.Child("activeDeadlineSeconds"), *v, utilvalidation.InclusiveRangeError(1, math.MaxInt32)))
	}
	if spec.Hostname != "" {
		allErrs = append(allErrs, dns1123Label(spec.Hostname, fldPath.Child("hostname"))...)
	}
	if spec.Subdomain != "" {
		allErrs = append(allErrs, dns1123Label(spec.Subdomain, fldPath.Child("subdomain"))...)
	}
	if spec.PriorityClassName != "" {
		allErrs = append(allErrs, dns1123Subdomain(spec.PriorityClassName, fldPath.Child("priorityClassName"))...)
	}
	for i, s := range spec.ImagePullSecrets {
		if s.Name == "" {
			allErrs = append(allErrs, field.Required(fldPath.Child("imagePullSecrets").Index(i).Child("name"), ""))
		}
	}
	return allErrs
}

// volumes checks names and that each volume has exactly one source; it returns the
// valid volumes so that mounts can be matched against them.
func volumes(vols []corev1.Volume, fldPath *field.Path) (map[string]bool, field.ErrorList) {
	var allErrs field.ErrorList
	names := map[string]bool{}
	for i := range vols {
		v := &vols[i]
		idxPath := fldPath.Index(i)
		errs := exactlyOneSource(reflect.ValueOf(v.VolumeSource), idxPath, "must specify a volume type")
		if v.Name == "" {
			errs = append(errs, field.Required(idxPath.Child("name"), ""))
		} else {
			errs = append(errs, dns1123Label(v.Name, idxPath.Child("name"))...)
		}
		if names[v.Name] {
			errs = append(errs, field.Duplicate(idxPath.Child("name"), v.Name))
		}
		if len(errs) == 0 {
			names[v.Name] = true
		}
		allErrs = append(allErrs, errs...)
	}
	return names, allErrs
}

// exactlyOneSource counts the non-nil pointer fields of a one-of struct (volume
// sources) in declaration order, naming extra ones by their JSON name.
func exactlyOneSource(v reflect.Value, fldPath *field.Path, missing string) field.ErrorList {
	var allErrs field.ErrorList
	n := 0
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := v.Field(i)
		if f.Kind() != reflect.Pointer || f.IsNil() {
			continue
		}
		if n > 0 {
			name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
			allErrs = append(allErrs, field.Forbidden(fldPath.Child(name), "may not specify more than 1 volume type"))
			continue
		}
		n++
	}
	if n == 0 {
		allErrs = append(allErrs, field.Required(fldPath, missing))
	}
	return allErrs
}

// container holds the checks shared by regular and init containers.
func container(c *corev1.Container, vols map[string]bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if c.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	} else {
		allErrs = append(allErrs, dns1123Label(c.Name, p.Child("name"))...)
	}
	if c.Image == "" {
		allErrs = append(allErrs, field.Required(p.Child("image"), ""))
	}
	allErrs = append(allErrs, enum(c.TerminationMessagePolicy, termPolicies, p.Child("terminationMessagePolicy"))...)
	allErrs = append(allErrs, containerPorts(c.Ports, p.Child("ports"))...)
	allErrs = append(allErrs, env(c.Env, p.Child("env"))...)
	allErrs = append(allErrs, volumeMounts(c.VolumeMounts, vols, p.Child("volumeMounts"))...)
	allErrs = append(allErrs, enum(c.ImagePullPolicy, pullPolicies, p.Child("imagePullPolicy"))...)
	allErrs = append(allErrs, resourceRequirements(&c.Resources, p.Child("resources"))...)
	return allErrs
}

func containerPorts(ports []corev1.ContainerPort, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	names := map[string]bool{}
	for i, port := range ports {
		idxPath := fldPath.Index(i)
		if port.Name != "" {
			if msgs := utilvalidation.IsValidPortName(port.Name); len(msgs) != 0 {
				for _, msg := range msgs {
					allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), port.Name, msg))
				}
			} else if names[port.Name] {
				allErrs = append(allErrs, field.Duplicate(idxPath.Child("name"), port.Name))
			} else {
				names[port.Name] = true
			}
		}
		if port.ContainerPort == 0 {
			allErrs = append(allErrs, field.Required(idxPath.Child("containerPort"), ""))
		} else {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.ContainerPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("containerPort"), port.ContainerPort, msg))
			}
		}
		if port.HostPort != 0 {
			for _, msg := range utilvalidation.IsValidPortNum(int(port.HostPort)) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("hostPort"), port.HostPort, msg))
			}
		}
		allErrs = append(allErrs, enum(port.Protocol, portProtocols, idxPath.Child("protocol"))...)
	}
	return allErrs
}

// env uses the relaxed variable-name rule, locked on since v1.34.
func env(vars []corev1.EnvVar, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, ev := range vars {
		idxPath := fldPath.Index(i)
		if ev.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		} else {
			for _, msg := range utilvalidation.IsRelaxedEnvVarName(ev.Name) {
				allErrs = append(allErrs, field.Invalid(idxPath.Child("name"), ev.Name, msg))
			}
		}
		if ev.ValueFrom != nil {
			n := 0
			for _, set := range []bool{ev.ValueFrom.FieldRef != nil, ev.ValueFrom.ResourceFieldRef != nil,
				ev.ValueFrom.ConfigMapKeyRef != nil, ev.ValueFrom.SecretKeyRef != nil, ev.ValueFrom.FileKeyRef != nil} {
				if set {
					n++
				}
			}
			vf := idxPath.Child("valueFrom")
			switch {
			case n == 0:
				allErrs = append(allErrs, field.Invalid(vf, "", "must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef`, `secretKeyRef` or `fileKeyRef`"))
			case n > 1:
				allErrs = append(allErrs, field.Invalid(vf, "", "may not have more than one field specified at a time"))
			case ev.Value != "":
				allErrs = append(allErrs, field.Invalid(vf, "", "may not be specified when `value` is not empty"))
			}
		}
	}
	return allErrs
}

func volumeMounts(mounts []corev1.VolumeMount, vols map[string]bool, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	paths := map[string]bool{}
	for i, m := range mounts {
		idxPath := fldPath.Index(i)
		if m.Name == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("name"), ""))
		}
		if !vols[m.Name] {
			allErrs = append(allErrs, field.NotFound(idxPath.Child("name"), m.Name))
		}
		if m.MountPath == "" {
			allErrs = append(allErrs, field.Required(idxPath.Child("mountPath"), ""))
		}
		if paths[m.MountPath] {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("mountPath"), m.MountPath, "must be unique"))
		}
		paths[m.MountPath] = true
		if m.SubPath != "" && m.SubPathExpr != "" {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("subPathExpr"), m.SubPathExpr, "subPathExpr and subPath are mutually exclusive"))
		}
	}
	return allErrs
}

// portNumOrName checks an IntOrString port reference (service targetPort, probes).
func portNumOrName(port intstr.IntOrString, fldPath *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch port.Type {
	case intstr.Int:
		for _, msg := range utilvalidation.IsValidPortNum(port.IntValue()) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.IntValue(), msg))
		}
	case intstr.String:
		for _, msg := range utilvalidation.IsValidPortName(port.StrVal) {
			allErrs = append(allErrs, field.Invalid(fldPath, port.StrVal, msg))
		}
	default:
		allErrs = append(allErrs, field.InternalError(fldPath, fmt.Errorf("unknown type: %v", port.Type)))
	}
	return allErrs
}

func imageNotPadded(image string, fldPath *field.Path) field.ErrorList {
	if len(image) != len(strings.TrimSpace(image)) {
		return field.ErrorList{field.Invalid(fldPath, image, "must not have leading or trailing whitespace")}
	}
	return nil
}
