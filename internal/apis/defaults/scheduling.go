package defaults

import (
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerScheduling installs the defaults of scheduling.k8s.io/v1: a
// PriorityClass preempts lower priorities unless told otherwise.
func registerScheduling(s *runtime.Scheme) {
	add(s, priorityClass)
	addList(s, func(l *schedulingv1.PriorityClassList) []schedulingv1.PriorityClass { return l.Items }, priorityClass)
}

func priorityClass(pc *schedulingv1.PriorityClass) {
	ptrOrDefault(&pc.PreemptionPolicy, corev1.PreemptLowerPriority)
}
