package builtin

import (
	"errors"

	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// jobOrphanWarning is upstream's Warning for a batch/v1 Job deleted without a
// propagation policy: its pods are kept.
const jobOrphanWarning = "child pods are preserved by default when jobs are deleted; " +
	"set propagationPolicy=Background to remove them or set propagationPolicy=Orphan to suppress this warning"

// refuseSystemPriorityClassDelete keeps the two priority classes the system's own
// pods rely on, with upstream's 403.
func refuseSystemPriorityClassDelete(name string) error {
	if name == "system-node-critical" || name == "system-cluster-critical" {
		return apierrors.NewForbidden(schema.GroupResource{Group: schedulingv1.GroupName, Resource: "priorityclasses"}, name,
			errors.New("this is a system priority class and cannot be deleted"))
	}
	return nil
}
