package builtin

import (
	nodev1 "k8s.io/api/node/v1"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// node serves node.k8s.io/v1 RuntimeClasses. As upstream, PUT may create one and
// an update must carry a resourceVersion.
func node() []*registry.Resource {
	gv := nodev1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "runtimeclasses", SingularName: "runtimeclass", Kind: "RuntimeClass",
		StorageKind: gv.WithKind("RuntimeClass"), KeyPrefix: "runtimeclasses",
		AllowCreateOnUpdate: true, RequireResourceVersion: true,
		Validate:       v.ValidateRuntimeClass,
		ValidateUpdate: v.ValidateRuntimeClassUpdate,
		Table:          printers.RuntimeClass(),
	}}
}
