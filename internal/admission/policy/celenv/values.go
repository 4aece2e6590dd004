package celenv

import (
	admissionv1 "k8s.io/api/admission/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ObjectMap returns obj as the JSON-shaped map expressions see; nil stays nil.
func ObjectMap(obj runtime.Object) (map[string]any, error) {
	if obj == nil {
		return nil, nil
	}
	if u, ok := obj.(runtime.Unstructured); ok {
		return u.UnstructuredContent(), nil
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

// RequestMap returns the admission request as expressions see it: without the
// object and oldObject, which have their own variables, and with options as a map
// (null when the operation has none, as for CONNECT), as upstream exposes them.
func RequestMap(req *admissionv1.AdmissionRequest) (map[string]any, error) {
	cp := *req
	cp.Object, cp.OldObject = runtime.RawExtension{}, runtime.RawExtension{}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&cp)
	if err != nil {
		return nil, err
	}
	delete(m, "object")
	delete(m, "oldObject")
	return m, nil
}
