package openapi

import (
	"sort"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// definitionNamer names definitions and tags each with the kinds the scheme registers
// for it (x-kubernetes-group-version-kind), which is how kubectl explain, client-side
// validation and server-side apply find a kind's schema. It is read-only after
// newDefinitionNamer.
type definitionNamer struct {
	// gvks by definition name, sorted by group, version, kind.
	gvks map[string][]schema.GroupVersionKind
	// names by kind, for lookups by GVK.
	names map[schema.GroupVersionKind]string
}

func newDefinitionNamer(scheme *runtime.Scheme) *definitionNamer {
	n := &definitionNamer{gvks: map[string][]schema.GroupVersionKind{}, names: map[schema.GroupVersionKind]string{}}
	for gvk := range scheme.AllKnownTypes() {
		if gvk.Version == runtime.APIVersionInternal {
			continue
		}
		name, err := scheme.ToOpenAPIDefinitionName(gvk)
		if err != nil {
			// Only unstructured kinds without a group fail; they have no definition.
			continue
		}
		n.names[gvk] = name
		n.gvks[name] = append(n.gvks[name], gvk)
	}
	for _, list := range n.gvks {
		sort.Slice(list, func(i, j int) bool {
			a, b := list[i], list[j]
			if a.Group != b.Group {
				return a.Group < b.Group
			}
			if a.Version != b.Version {
				return a.Version < b.Version
			}
			return a.Kind < b.Kind
		})
	}
	return n
}

// definitionName is the builders' GetDefinitionName hook. The generated definitions
// are already keyed by their REST-friendly names (io.k8s.api.core.v1.Pod), so the
// name is kept and only the GVK extension is added.
func (n *definitionNamer) definitionName(name string) (string, spec.Extensions) {
	list, ok := n.gvks[name]
	if !ok {
		return name, nil
	}
	// The JSON-shaped value ([]any of map[string]any) is what readers of the
	// extension (kubectl, structured-merge-diff) type-assert on.
	v := make([]any, 0, len(list))
	for _, gvk := range list {
		v = append(v, map[string]any{"group": gvk.Group, "version": gvk.Version, "kind": gvk.Kind})
	}
	return name, spec.Extensions{extGVK: v}
}

// sortedNames returns every definition name a registered kind maps to.
func (n *definitionNamer) sortedNames() []string {
	out := make([]string, 0, len(n.gvks))
	for name := range n.gvks {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}
