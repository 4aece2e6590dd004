package crdtable

import (
	"fmt"
	"strings"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/util/jsonpath"
)

// selectableField is one selectableFields entry: the field selector key and the
// parsed path (nil when the path does not parse).
type selectableField struct {
	key string
	// mu guards path: client-go's JSONPath keeps range state while it evaluates.
	mu   sync.Mutex
	path *jsonpath.JSONPath
}

// SelectableFields returns the fields of obj that a CRD version's selectableFields
// make available to field selectors: ".spec.color" becomes the key "spec.color",
// the value is the field printed as fmt.Sprint prints it ("true", "42"), and a
// missing field (or one whose path cannot be evaluated) is "". metadata.name and
// metadata.namespace are not included: registry.Store adds them.
//
// The function is never nil, even without selectableFields, so that the Store
// judges field labels by the set it returns (a cluster-scoped custom resource has no
// metadata.namespace field, as upstream).
func SelectableFields(paths []apiextensionsv1.SelectableField) func(obj runtime.Object) fields.Set {
	sfs := make([]*selectableField, 0, len(paths))
	for _, p := range paths {
		sf := &selectableField{key: strings.TrimPrefix(p.JSONPath, ".")}
		jp := jsonpath.New("selectableField")
		jp.AllowMissingKeys(true)
		if err := jp.Parse("{" + p.JSONPath + "}"); err == nil {
			sf.path = jp
		}
		sfs = append(sfs, sf)
	}
	return func(obj runtime.Object) fields.Set {
		set := make(fields.Set, len(sfs))
		var content map[string]any
		if u, ok := obj.(runtime.Unstructured); ok {
			content = u.UnstructuredContent()
		}
		for _, sf := range sfs {
			set[sf.key] = sf.value(content)
		}
		return set
	}
}

// value returns the field's string form in content, "" when it is absent.
func (sf *selectableField) value(content map[string]any) string {
	if sf.path == nil || content == nil {
		return ""
	}
	sf.mu.Lock()
	results, err := sf.path.FindResults(content)
	sf.mu.Unlock()
	if err != nil || len(results) != 1 || len(results[0]) != 1 {
		return ""
	}
	v := results[0][0].Interface()
	if v == nil {
		return ""
	}
	return fmt.Sprint(v)
}
