package crdtable

import (
	"fmt"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

// ScalePaths are the field paths of a CRD version's scale subresource.
type ScalePaths struct {
	// SpecReplicasPath is the path as written in the CRD (".spec.replicas"), for
	// messages.
	SpecReplicasPath string
	spec, status     []string
	selector         []string
}

// ScaleValues are what a custom resource's scale subresource shows.
type ScaleValues struct {
	SpecReplicas   int32
	StatusReplicas int32
	Selector       string
	// SpecFound is false when the object has no value at the spec replicas path.
	SpecFound bool
}

// NewScalePaths splits the JSON paths of sc (".spec.replicas" → spec, replicas).
func NewScalePaths(sc *apiextensionsv1.CustomResourceSubresourceScale) ScalePaths {
	p := ScalePaths{
		SpecReplicasPath: sc.SpecReplicasPath,
		spec:             splitPath(sc.SpecReplicasPath),
		status:           splitPath(sc.StatusReplicasPath),
	}
	if sc.LabelSelectorPath != nil && *sc.LabelSelectorPath != "" {
		p.selector = splitPath(*sc.LabelSelectorPath)
	}
	return p
}

// splitPath turns a simple JSON path into the field names of the unstructured
// helpers.
func splitPath(path string) []string {
	return strings.Split(strings.TrimPrefix(path, "."), ".")
}

// Read returns the scale values of a custom resource. Missing replica fields read
// as 0 (SpecFound tells a missing spec value apart), a missing selector as "".
// A value of the wrong type is an error with apimachinery's accessor message
// (".spec.replicas accessor error: foo is of the type string, expected int64"),
// which upstream answers with 500 InternalError.
func (p ScalePaths) Read(obj runtime.Object) (ScaleValues, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return ScaleValues{}, fmt.Errorf("scale: expected a custom resource, got %T", obj)
	}
	var v ScaleValues
	spec, found, err := unstructured.NestedInt64(u.Object, p.spec...)
	if err != nil {
		return ScaleValues{}, err
	}
	v.SpecReplicas, v.SpecFound = int32(spec), found
	status, _, err := unstructured.NestedInt64(u.Object, p.status...)
	if err != nil {
		return ScaleValues{}, err
	}
	v.StatusReplicas = int32(status)
	if p.selector != nil {
		if v.Selector, _, err = unstructured.NestedString(u.Object, p.selector...); err != nil {
			return ScaleValues{}, err
		}
	}
	return v, nil
}

// SetReplicas writes replicas at the spec replicas path, creating the parent
// objects it needs. It fails, as upstream, when a parent on the path is not an
// object ("value cannot be set because .spec is not a map[string]interface{}").
func (p ScalePaths) SetReplicas(obj runtime.Object, replicas int32) error {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return fmt.Errorf("scale: expected a custom resource, got %T", obj)
	}
	if u.Object == nil {
		u.Object = map[string]any{}
	}
	return unstructured.SetNestedField(u.Object, int64(replicas), p.spec...)
}

// EmptySpecReplicasError is upstream's 400 message for a scale update that leaves
// the replicas of an object without them unset.
func (p ScalePaths) EmptySpecReplicasError() string {
	return fmt.Sprintf("the spec replicas field %q cannot be empty", p.SpecReplicasPath)
}

// Scale adapts sc to registry.Scale, whose functions cannot fail: a value of the
// wrong type reads as 0 (and an unset selector as ""), and a write through a
// non-object parent is dropped. Callers that must answer such objects with
// upstream's errors (500 for a wrong replicas type on get) use NewScalePaths' Read
// and SetReplicas instead. ReplicasPath is the spec replicas path, for managed
// fields.
func Scale(sc *apiextensionsv1.CustomResourceSubresourceScale) *registry.Scale {
	p := NewScalePaths(sc)
	return &registry.Scale{
		Get: func(obj runtime.Object) (int32, int32, string) {
			v, err := p.Read(obj)
			if err != nil {
				return 0, 0, ""
			}
			return v.SpecReplicas, v.StatusReplicas, v.Selector
		},
		SetReplicas: func(obj runtime.Object, replicas int32) {
			_ = p.SetReplicas(obj, replicas)
		},
		ReplicasPath: p.spec,
	}
}
