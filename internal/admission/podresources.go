package admission

import (
	corev1 "k8s.io/api/core/v1"
)

// podTotals sums what a pod asks for as the scheduler counts it: regular and sidecar
// containers add up, one-shot init containers run alone (the largest wins), and
// pod-level cpu/memory replace the container sums. overhead adds the RuntimeClass
// overhead (ResourceQuota counts it, LimitRanger does not).
func podTotals(pod *corev1.Pod, limits, overhead bool) corev1.ResourceList {
	pick := func(r corev1.ResourceRequirements) corev1.ResourceList {
		if limits {
			return r.Limits
		}
		return r.Requests
	}
	total := corev1.ResourceList{}
	for _, c := range pod.Spec.Containers {
		addResources(total, pick(c.Resources))
	}
	sidecars, inits := corev1.ResourceList{}, corev1.ResourceList{}
	for _, c := range pod.Spec.InitContainers {
		own := pick(c.Resources)
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			addResources(total, own)
			addResources(sidecars, own)
			own = sidecars
		} else {
			sum := corev1.ResourceList{}
			addResources(sum, own)
			addResources(sum, sidecars)
			own = sum
		}
		maxResources(inits, own)
	}
	maxResources(total, inits)
	if pod.Spec.Resources != nil {
		for name, q := range pick(*pod.Spec.Resources) {
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory {
				total[name] = q.DeepCopy()
			}
		}
	}
	if overhead {
		addResources(total, pod.Spec.Overhead)
	}
	return total
}

func addResources(into, add corev1.ResourceList) {
	for name, q := range add {
		if have, ok := into[name]; ok {
			have.Add(q)
			into[name] = have
		} else {
			into[name] = q.DeepCopy()
		}
	}
}

func maxResources(into, other corev1.ResourceList) {
	for name, q := range other {
		if have, ok := into[name]; !ok || q.Cmp(have) > 0 {
			into[name] = q.DeepCopy()
		}
	}
}
