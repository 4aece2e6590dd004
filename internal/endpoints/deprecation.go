package endpoints

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// deprecationWarning returns the Warning every request to a deprecated kind carries,
// worded as upstream: "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1
// EndpointSlice". The types say it themselves through their lifecycle methods.
func deprecationWarning(obj runtime.Object, gvk schema.GroupVersionKind) string {
	dep, ok := obj.(interface{ APILifecycleDeprecated() (int, int) })
	if !ok {
		return ""
	}
	major, minor := dep.APILifecycleDeprecated()
	if major == 0 && minor == 0 {
		return ""
	}
	msg := fmt.Sprintf("%s %s is deprecated in v%d.%d+", gvk.GroupVersion(), gvk.Kind, major, minor)
	if rm, ok := obj.(interface{ APILifecycleRemoved() (int, int) }); ok {
		if major, minor := rm.APILifecycleRemoved(); major != 0 || minor != 0 {
			msg += fmt.Sprintf(", unavailable in v%d.%d+", major, minor)
		}
	}
	if rp, ok := obj.(interface {
		APILifecycleReplacement() schema.GroupVersionKind
	}); ok {
		if r := rp.APILifecycleReplacement(); !r.Empty() {
			msg += fmt.Sprintf("; use %s %s", r.GroupVersion(), r.Kind)
		}
	}
	return msg
}
