package builtin

import (
	"fmt"
	"maps"
	"reflect"
	"unicode"
	"unicode/utf8"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/diff"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// mirrorPodAnnotation marks a static pod's mirror; such pods take neither ephemeral
// containers nor resizes.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// podUpdateSubresources are pods/ephemeralcontainers and pods/resize: updates of one
// part of the pod spec, everything else kept from the stored pod.
func podUpdateSubresources() []registry.Subresource {
	podKind := corev1.SchemeGroupVersion.WithKind("Pod")
	verbs := []string{"get", "patch", "update"}
	return []registry.Subresource{
		{Name: "ephemeralcontainers", Kind: podKind, Verbs: verbs,
			Update: keepEphemeralContainers, ValidateUpdate: validateEphemeralContainersUpdate},
		{Name: "resize", Kind: podKind, Verbs: verbs,
			Update: keepResize, ValidateUpdate: validatePodResize},
	}
}

// keepEphemeralContainers takes only spec.ephemeralContainers (and the managed
// fields recording that change) from the request.
func keepEphemeralContainers(requested, current runtime.Object) runtime.Object {
	req, cur := requested.(*corev1.Pod), current.(*corev1.Pod)
	cur.Spec.EphemeralContainers = req.Spec.EphemeralContainers
	cur.ManagedFields = req.ManagedFields
	return cur
}

// allowedEphemeralFields are the container fields an ephemeral container may set:
// nothing that makes it part of the workload (ports, probes, lifecycle, resources).
var allowedEphemeralFields = map[string]bool{
	"Name": true, "Image": true, "Command": true, "Args": true, "WorkingDir": true, "EnvFrom": true, "Env": true,
	"VolumeMounts": true, "VolumeDevices": true, "TerminationMessagePath": true, "TerminationMessagePolicy": true,
	"ImagePullPolicy": true, "SecurityContext": true, "Stdin": true, "StdinOnce": true, "TTY": true,
	// TargetContainerName lives outside EphemeralContainerCommon.
}

func validateEphemeralContainersUpdate(obj, old runtime.Object) field.ErrorList {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	errs := apivalidation.ValidateObjectMetaUpdate(&pod.ObjectMeta, &oldPod.ObjectMeta, field.NewPath("metadata"))
	errs = append(errs, v.ValidatePod(pod)...)
	errs = append(errs, validateEphemeralContainers(&pod.Spec)...)
	if _, ok := oldPod.Annotations[mirrorPodAnnotation]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "static pods do not support ephemeral containers")}
	}
	// Existing ones may be neither removed nor changed; a patch may reorder them.
	byName := map[string]*corev1.EphemeralContainer{}
	for i := range pod.Spec.EphemeralContainers {
		byName[pod.Spec.EphemeralContainers[i].Name] = &pod.Spec.EphemeralContainers[i]
	}
	p := field.NewPath("spec", "ephemeralContainers")
	for _, was := range oldPod.Spec.EphemeralContainers {
		now, ok := byName[was.Name]
		switch {
		case !ok:
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("existing ephemeral containers %q may not be removed\n", was.Name)))
		case !apiequality.Semantic.DeepEqual(was, *now):
			errs = append(errs, field.Forbidden(p, fmt.Sprintf("existing ephemeral containers %q may not be changed\n%v", was.Name, diff.Diff(was, *now))))
		}
	}
	return errs
}

// validateEphemeralContainers checks the ephemeral containers as upstream: a name
// and image, names unique across every container of the pod, a target that is a
// regular or init container, only the allowed fields, and no subPath mounts.
func validateEphemeralContainers(spec *corev1.PodSpec) field.ErrorList {
	var errs field.ErrorList
	targets, names := map[string]bool{}, map[string]bool{}
	for _, c := range spec.Containers {
		targets[c.Name], names[c.Name] = true, true
	}
	for _, c := range spec.InitContainers {
		targets[c.Name], names[c.Name] = true, true
	}
	volumes := map[string]bool{}
	for _, vol := range spec.Volumes {
		volumes[vol.Name] = true
	}
	base := field.NewPath("spec", "ephemeralContainers")
	for i := range spec.EphemeralContainers {
		ec := &spec.EphemeralContainers[i]
		p := base.Index(i)
		switch {
		case ec.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		default:
			for _, msg := range apivalidation.NameIsDNSLabel(ec.Name, false) {
				errs = append(errs, field.Invalid(p.Child("name"), ec.Name, msg))
			}
			if names[ec.Name] {
				errs = append(errs, field.Duplicate(p.Child("name"), ec.Name))
			}
			names[ec.Name] = true
		}
		if ec.Image == "" {
			errs = append(errs, field.Required(p.Child("image"), ""))
		}
		if ec.TargetContainerName != "" && !targets[ec.TargetContainerName] {
			errs = append(errs, field.NotFound(p.Child("targetContainerName"), ec.TargetContainerName))
		}
		errs = append(errs, forbiddenEphemeralFields(ec.EphemeralContainerCommon, p)...)
		for j, vm := range ec.VolumeMounts {
			mp := p.Child("volumeMounts").Index(j)
			if !volumes[vm.Name] {
				errs = append(errs, field.NotFound(mp.Child("name"), vm.Name))
			}
			if vm.SubPath != "" {
				errs = append(errs, field.Forbidden(mp.Child("subPath"), "cannot be set for an Ephemeral Container"))
			}
			if vm.SubPathExpr != "" {
				errs = append(errs, field.Forbidden(mp.Child("subPathExpr"), "cannot be set for an Ephemeral Container"))
			}
		}
	}
	return errs
}

// forbiddenEphemeralFields reports every set field outside allowedEphemeralFields,
// named by its JSON field name.
func forbiddenEphemeralFields(c corev1.EphemeralContainerCommon, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	t, val := reflect.TypeOf(c), reflect.ValueOf(c)
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if allowedEphemeralFields[f.Name] || val.Field(i).IsZero() {
			continue
		}
		r, n := utf8.DecodeRuneInString(f.Name)
		errs = append(errs, field.Forbidden(p.Child(string(unicode.ToLower(r))+f.Name[n:]), "cannot be set for an Ephemeral Container"))
	}
	return errs
}

// keepResize takes only the containers' resources and resize policies and the
// pod-level resources from the request. Added, removed, renamed or reordered
// containers are passed through for validation to refuse.
func keepResize(requested, current runtime.Object) runtime.Object {
	req, cur := requested.(*corev1.Pod), current.(*corev1.Pod)
	cur.ManagedFields = req.ManagedFields
	cur.Spec.Containers = mergeResize(req.Spec.Containers, cur.Spec.Containers)
	cur.Spec.InitContainers = mergeResize(req.Spec.InitContainers, cur.Spec.InitContainers)
	switch {
	case req.Spec.Resources != nil:
		cur.Spec.Resources = req.Spec.Resources
	case cur.Spec.Resources != nil:
		// A client unaware of pod-level resources dropped them: keep them.
	}
	return cur
}

func mergeResize(requested, current []corev1.Container) []corev1.Container {
	if len(requested) != len(current) {
		return requested
	}
	out := make([]corev1.Container, len(current))
	for i := range current {
		if requested[i].Name != current[i].Name {
			return requested
		}
		out[i] = current[i]
		out[i].Resources = requested[i].Resources
		out[i].ResizePolicy = requested[i].ResizePolicy
	}
	return out
}

func validatePodResize(obj, old runtime.Object) field.ErrorList {
	pod, oldPod := obj.(*corev1.Pod), old.(*corev1.Pod)
	errs := apivalidation.ValidateObjectMetaUpdate(&pod.ObjectMeta, &oldPod.ObjectMeta, field.NewPath("metadata"))
	errs = append(errs, v.ValidatePod(pod)...)
	if _, ok := oldPod.Annotations[mirrorPodAnnotation]; ok {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "static pods cannot be resized")}
	}
	if oldPod.Spec.OS != nil && oldPod.Spec.OS.Name == corev1.Windows {
		return field.ErrorList{field.Forbidden(field.NewPath(""), "windows pods cannot be resized")}
	}
	spec := field.NewPath("spec")
	oldQOS := oldPod.Status.QOSClass
	if oldQOS == "" {
		oldQOS = podQOS(&oldPod.Spec)
	}
	if oldQOS != podQOS(&pod.Spec) {
		errs = append(errs, field.Invalid(spec, pod.Status.QOSClass, "Pod QOS Class may not change as a result of resizing"))
	}
	if !nodeSupportsResize(oldPod) {
		errs = append(errs, field.Forbidden(spec, "Pod running on node without support for resize"))
	}
	masked := pod.Spec.DeepCopy()
	if oldPod.Spec.Resources != nil || pod.Spec.Resources != nil {
		errs = append(errs, podLevelResize(pod, oldPod, masked, spec)...)
	}
	if order := resizeOrdering(pod, oldPod, spec); order != nil {
		return append(errs, order...)
	}
	for i := range oldPod.Spec.InitContainers {
		errs = append(errs, resourcesNotRemoved(&pod.Spec.InitContainers[i].Resources, &oldPod.Spec.InitContainers[i].Resources,
			spec.Child("initContainers").Index(i).Child("resources"))...)
	}
	for i := range oldPod.Spec.Containers {
		errs = append(errs, resourcesNotRemoved(&pod.Spec.Containers[i].Resources, &oldPod.Spec.Containers[i].Resources,
			spec.Child("containers").Index(i).Child("resources"))...)
	}
	for i := range masked.Containers {
		maskCPUMemory(&masked.Containers[i], &oldPod.Spec.Containers[i])
		if !apiequality.Semantic.DeepEqual(masked.Containers[i], oldPod.Spec.Containers[i]) {
			errs = append(errs, field.Forbidden(spec, "only cpu and memory resources are mutable"))
		}
	}
	for i := range masked.InitContainers {
		changed := !apiequality.Semantic.DeepEqual(masked.InitContainers[i], oldPod.Spec.InitContainers[i])
		sidecar := masked.InitContainers[i].RestartPolicy != nil && *masked.InitContainers[i].RestartPolicy == corev1.ContainerRestartPolicyAlways
		maskCPUMemory(&masked.InitContainers[i], &oldPod.Spec.InitContainers[i])
		if !apiequality.Semantic.DeepEqual(masked.InitContainers[i], oldPod.Spec.InitContainers[i]) {
			errs = append(errs, field.Forbidden(spec.Child("initContainers").Index(i), "only cpu and memory resources for init or sidecar containers are mutable"))
		}
		if changed && !sidecar {
			for _, rp := range masked.InitContainers[i].ResizePolicy {
				if rp.RestartPolicy == corev1.RestartContainer {
					errs = append(errs, field.Forbidden(spec.Child("initContainers").Index(i), "non-sidecar init containers with a resize policy of RestartContainer cannot be resized"))
				}
			}
		}
	}
	if len(errs) > 0 {
		return errs
	}
	if !apiequality.Semantic.DeepEqual(*masked, oldPod.Spec) {
		errs = append(errs, field.Forbidden(spec, "only cpu and memory resources are mutable"))
	}
	return errs
}

// nodeSupportsResize: a running container without status resources is on a kubelet
// that cannot resize (upstream's version-skew guard).
func nodeSupportsResize(pod *corev1.Pod) bool {
	for _, c := range pod.Status.ContainerStatuses {
		if c.State.Running != nil {
			return c.Resources != nil
		}
	}
	return true
}

// podLevelResize checks pod-level resources may not be removed and masks their cpu
// and memory in masked so that the final comparison sees any other change.
func podLevelResize(pod, oldPod *corev1.Pod, masked *corev1.PodSpec, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	p := spec.Child("resources")
	if oldPod.Spec.Resources != nil && pod.Spec.Resources == nil {
		return field.ErrorList{field.Forbidden(p, "pod-level resources cannot be removed")}
	}
	if oldPod.Spec.Resources != nil {
		if removed(pod.Spec.Resources.Requests, oldPod.Spec.Resources.Requests) {
			errs = append(errs, field.Forbidden(p.Child("requests"), "pod-level resource requests cannot be removed"))
		}
		if removed(pod.Spec.Resources.Limits, oldPod.Spec.Resources.Limits) {
			errs = append(errs, field.Forbidden(p.Child("limits"), "pod-level resource limits cannot be removed"))
		}
	}
	if masked.Resources != nil {
		var oldReq, oldLim corev1.ResourceList
		if oldPod.Spec.Resources != nil {
			oldReq, oldLim = oldPod.Spec.Resources.Requests, oldPod.Spec.Resources.Limits
		}
		masked.Resources.Requests = withOldCPUMemory(masked.Resources.Requests, oldReq)
		masked.Resources.Limits = withOldCPUMemory(masked.Resources.Limits, oldLim)
		if oldPod.Spec.Resources == nil && len(masked.Resources.Requests) == 0 && len(masked.Resources.Limits) == 0 && len(masked.Resources.Claims) == 0 {
			masked.Resources = nil
		}
	}
	return errs
}

func resizeOrdering(pod, oldPod *corev1.Pod, spec *field.Path) field.ErrorList {
	var errs field.ErrorList
	for _, kind := range []struct {
		name     string
		now, was []corev1.Container
	}{{"containers", pod.Spec.Containers, oldPod.Spec.Containers}, {"initContainers", pod.Spec.InitContainers, oldPod.Spec.InitContainers}} {
		if len(kind.now) != len(kind.was) {
			errs = append(errs, field.Forbidden(spec.Child(kind.name), kind.name+" may not be added or removed on resize"))
			continue
		}
		for i := range kind.was {
			if kind.now[i].Name != kind.was[i].Name {
				errs = append(errs, field.Forbidden(spec.Child(kind.name).Index(i).Child("name"), kind.name+" may not be renamed or reordered on resize"))
			}
		}
	}
	return errs
}

func resourcesNotRemoved(now, was *corev1.ResourceRequirements, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if removed(now.Requests, was.Requests) {
		errs = append(errs, field.Forbidden(p.Child("requests"), "resource requests cannot be removed"))
	}
	if removed(now.Limits, was.Limits) {
		errs = append(errs, field.Forbidden(p.Child("limits"), "resource limits cannot be removed"))
	}
	return errs
}

func removed(now, was corev1.ResourceList) bool {
	for name := range was {
		if _, ok := now[name]; !ok {
			return true
		}
	}
	return false
}

// maskCPUMemory puts old's cpu and memory values into c's resources, so that
// comparing c with old shows any other change.
func maskCPUMemory(c, old *corev1.Container) {
	c.Resources = corev1.ResourceRequirements{
		Limits:   withOldCPUMemory(c.Resources.Limits, old.Resources.Limits),
		Requests: withOldCPUMemory(c.Resources.Requests, old.Resources.Requests),
		Claims:   c.Resources.Claims,
	}
}

func withOldCPUMemory(list, old corev1.ResourceList) corev1.ResourceList {
	if list == nil {
		return nil
	}
	out := maps.Clone(list)
	for _, name := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
		delete(out, name)
		if q, ok := old[name]; ok {
			out[name] = q
		}
	}
	return out
}
