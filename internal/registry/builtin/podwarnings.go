package builtin

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// deprecatedNodeLabels are node labels upstream warns about in pod scheduling
// constraints, with its messages.
var deprecatedNodeLabels = map[string]string{
	"beta.kubernetes.io/arch":                       `deprecated since v1.14; use "kubernetes.io/arch" instead`,
	"beta.kubernetes.io/os":                         `deprecated since v1.14; use "kubernetes.io/os" instead`,
	"failure-domain.beta.kubernetes.io/region":      `deprecated since v1.17; use "topology.kubernetes.io/region" instead`,
	"failure-domain.beta.kubernetes.io/zone":        `deprecated since v1.17; use "topology.kubernetes.io/zone" instead`,
	"beta.kubernetes.io/instance-type":              `deprecated since v1.17; use "node.kubernetes.io/instance-type" instead`,
	"app.kubernetes.io/created-by":                  `deprecated since v1.9`,
	"scheduler.alpha.kubernetes.io/preferAvoidPods": `deprecated since v1.22; use Taints and Tolerations instead`,
	"node-role.kubernetes.io/master":                `use "node-role.kubernetes.io/control-plane" instead`,
}

// deprecatedPodAnnotations are annotations that stopped working, in upstream's order.
var deprecatedPodAnnotations = []struct{ key, message string }{
	{"scheduler.alpha.kubernetes.io/critical-pod", `non-functional in v1.16+; use the "priorityClassName" field instead`},
	{"security.alpha.kubernetes.io/sysctls", `non-functional in v1.11+; use the "sysctls" field instead`},
	{"security.alpha.kubernetes.io/unsafe-sysctls", `non-functional in v1.11+; use the "sysctls" field instead`},
}

// podWarnings are the Warning headers of a pod create, as upstream's pod strategy
// (updates warn about nothing: pods are rewritten too often by machines). It covers
// the deprecated labels, annotations and volume types, seccomp annotations,
// fractional byte quantities, null label selectors, negative grace periods and
// non-canonical IPs; upstream's port, env and volume-path overlap checks are not done.
func podWarnings(obj, old runtime.Object) []string {
	pod, ok := obj.(*corev1.Pod)
	if !ok || pod == nil || old != nil {
		return nil
	}
	var out []string
	if msgs := utilvalidation.IsDNS1123Label(pod.Name); len(msgs) != 0 {
		out = append(out, fmt.Sprintf("metadata.name: this is used in the Pod's hostname, which can result in surprising behavior; a DNS label is recommended: %v", msgs))
	}
	spec := &pod.Spec
	specPath := field.NewPath("spec")
	for k := range spec.NodeSelector {
		if msg, ok := deprecatedNodeLabels[k]; ok {
			out = append(out, fmt.Sprintf("%s: %s", specPath.Child("nodeSelector").Key(k), msg))
		}
	}
	for i, c := range spec.TopologySpreadConstraints {
		p := specPath.Child("topologySpreadConstraints").Index(i)
		if msg, ok := deprecatedNodeLabels[c.TopologyKey]; ok {
			out = append(out, fmt.Sprintf("%s: %s is %s", p.Child("topologyKey"), c.TopologyKey, msg))
		}
		if c.LabelSelector == nil {
			out = append(out, fmt.Sprintf("%s: a null labelSelector results in matching no pod", p.Child("labelSelector")))
		}
	}
	annotations := field.NewPath("metadata", "annotations")
	for _, d := range deprecatedPodAnnotations {
		if _, ok := pod.Annotations[d.key]; ok {
			out = append(out, fmt.Sprintf("%s: %s", annotations.Key(d.key), d.message))
		}
	}
	out = append(out, deprecatedVolumeWarnings(spec.Volumes, specPath.Child("volumes"))...)
	if spec.SecurityContext == nil || spec.SecurityContext.SeccompProfile == nil {
		if _, ok := pod.Annotations[corev1.SeccompPodAnnotationKey]; ok {
			out = append(out, fmt.Sprintf(`%s: non-functional in v1.27+; use the "seccompProfile" field instead`, annotations.Key(corev1.SeccompPodAnnotationKey)))
		}
	}
	visit := func(c *corev1.Container, p *field.Path) {
		if c.SecurityContext == nil || c.SecurityContext.SeccompProfile == nil {
			key := corev1.SeccompContainerAnnotationKeyPrefix + c.Name
			if _, ok := pod.Annotations[key]; ok {
				out = append(out, fmt.Sprintf(`%s: non-functional in v1.27+; use the "seccompProfile" field instead`, annotations.Key(key)))
			}
		}
		for _, kind := range []struct {
			name string
			list corev1.ResourceList
		}{{"limits", c.Resources.Limits}, {"requests", c.Resources.Requests}} {
			for _, res := range []corev1.ResourceName{corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
				if q, ok := kind.list[res]; ok && q.MilliValue()%1000 != 0 {
					out = append(out, fmt.Sprintf("%s: fractional byte value %q is invalid, must be an integer", p.Child("resources", kind.name).Key(string(res)), q.String()))
				}
			}
		}
	}
	for i := range spec.InitContainers {
		visit(&spec.InitContainers[i], specPath.Child("initContainers").Index(i))
	}
	for i := range spec.Containers {
		visit(&spec.Containers[i], specPath.Child("containers").Index(i))
	}
	for i := range spec.EphemeralContainers {
		visit((*corev1.Container)(&spec.EphemeralContainers[i].EphemeralContainerCommon), specPath.Child("ephemeralContainers").Index(i))
	}
	if g := spec.TerminationGracePeriodSeconds; g != nil && *g < 0 {
		out = append(out, fmt.Sprintf("%s: must be >= 0; negative values are invalid and will be treated as 1", specPath.Child("terminationGracePeriodSeconds")))
	}
	if a := spec.Affinity; a != nil {
		if a.PodAffinity != nil {
			out = append(out, nullSelectorWarnings(a.PodAffinity.RequiredDuringSchedulingIgnoredDuringExecution, a.PodAffinity.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAffinity"))...)
		}
		if a.PodAntiAffinity != nil {
			out = append(out, nullSelectorWarnings(a.PodAntiAffinity.RequiredDuringSchedulingIgnoredDuringExecution, a.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution, specPath.Child("affinity", "podAntiAffinity"))...)
		}
	}
	if spec.DNSConfig != nil {
		for i, ns := range spec.DNSConfig.Nameservers {
			out = append(out, utilvalidation.GetWarningsForIP(specPath.Child("dnsConfig", "nameservers").Index(i), ns)...)
		}
	}
	for i, alias := range spec.HostAliases {
		out = append(out, utilvalidation.GetWarningsForIP(specPath.Child("hostAliases").Index(i).Child("ip"), alias.IP)...)
	}
	return out
}

func deprecatedVolumeWarnings(volumes []corev1.Volume, base *field.Path) []string {
	var out []string
	for i, v := range volumes {
		p := base.Index(i)
		add := func(child, msg string) { out = append(out, fmt.Sprintf("%s: %s", p.Child(child), msg)) }
		switch {
		case v.PhotonPersistentDisk != nil:
			add("photonPersistentDisk", "deprecated in v1.11, non-functional in v1.16+")
		case v.GitRepo != nil:
			add("gitRepo", "deprecated in v1.11, and disabled by default in v1.33+")
		case v.ScaleIO != nil:
			add("scaleIO", "deprecated in v1.16, non-functional in v1.22+")
		case v.Flocker != nil:
			add("flocker", "deprecated in v1.22, non-functional in v1.25+")
		case v.StorageOS != nil:
			add("storageOS", "deprecated in v1.22, non-functional in v1.25+")
		case v.Quobyte != nil:
			add("quobyte", "deprecated in v1.22, non-functional in v1.25+")
		case v.Glusterfs != nil:
			add("glusterfs", "deprecated in v1.25, non-functional in v1.26+")
		case v.CephFS != nil:
			add("cephfs", "deprecated in v1.28, non-functional in v1.31+")
		case v.RBD != nil:
			add("rbd", "deprecated in v1.28, non-functional in v1.31+")
		}
	}
	return out
}

func nullSelectorWarnings(required []corev1.PodAffinityTerm, preferred []corev1.WeightedPodAffinityTerm, base *field.Path) []string {
	var out []string
	for i, t := range required {
		if t.LabelSelector == nil {
			out = append(out, fmt.Sprintf("%s: a null labelSelector results in matching no pod", base.Child("requiredDuringSchedulingIgnoredDuringExecution").Index(i).Child("labelSelector")))
		}
	}
	for i, t := range preferred {
		if t.PodAffinityTerm.LabelSelector == nil {
			out = append(out, fmt.Sprintf("%s: a null labelSelector results in matching no pod",
				base.Child("preferredDuringSchedulingIgnoredDuringExecution").Index(i).Child("podAffinityTerm", "labelSelector")))
		}
	}
	return out
}
