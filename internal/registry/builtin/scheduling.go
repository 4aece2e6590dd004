package builtin

import (
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// scheduling serves scheduling.k8s.io/v1 PriorityClasses. Upstream starts their
// generation at 1 and never moves it (value is immutable anyway).
func scheduling() []*registry.Resource {
	gv := schedulingv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "priorityclasses", SingularName: "priorityclass", Kind: "PriorityClass",
		ShortNames:  []string{"pc"},
		StorageKind: gv.WithKind("PriorityClass"), KeyPrefix: "priorityclasses",
		PrepareForCreate: func(obj runtime.Object) {
			obj.(*schedulingv1.PriorityClass).Generation = 1
		},
		RefuseDelete:   refuseSystemPriorityClassDelete,
		Validate:       v.ValidatePriorityClass,
		ValidateUpdate: v.ValidatePriorityClassUpdate,
		Table:          printers.PriorityClass(),
	}}
}
