package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/fieldpath"
	smdschema "sigs.k8s.io/structured-merge-diff/v6/schema"
	"sigs.k8s.io/structured-merge-diff/v6/typed"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// mergeApplyConfiguration merges an ApplyConfiguration into obj (the object in the
// version the policy matched, its kind set) as server-side apply merges: by the
// kind's schema, so lists with listType=map merge their items by key, sets are
// unioned and maps merge field by field. Nothing records ownership: the policy
// sets fields, it does not manage them. The result is unstructured.
func mergeApplyConfiguration(tc managedfields.TypeConverter, obj runtime.Object, cfg map[string]any) (runtime.Object, error) {
	content, err := jsonShaped(cfg)
	if err != nil {
		return nil, err
	}
	patch := &unstructured.Unstructured{Object: content}
	patch.SetGroupVersionKind(obj.GetObjectKind().GroupVersionKind())
	patchTyped, err := tc.ObjectToTyped(patch)
	if err != nil {
		return nil, fmt.Errorf("failed to convert patch object to typed object: %w", err)
	}
	if atomics := atomicPaths(patchTyped.Schema(), patchTyped.TypeRef(), patchTyped.AsValue(), nil); len(atomics) > 0 {
		return nil, fmt.Errorf("invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: %s", strings.Join(atomics, ", "))
	}
	// The live object may already hold duplicates (env vars of the same name);
	// the merge keeps them rather than refusing the request.
	liveTyped, err := tc.ObjectToTyped(obj, typed.AllowDuplicates)
	if err != nil {
		return nil, fmt.Errorf("failed to convert original object to typed object: %w", err)
	}
	merged, err := liveTyped.Merge(patchTyped)
	if err != nil {
		return nil, fmt.Errorf("failed to merge patch: %w", err)
	}
	out, err := tc.TypedToObject(merged)
	if err != nil {
		return nil, fmt.Errorf("failed to convert typed object to object: %w", err)
	}
	return out, nil
}

// jsonShaped round-trips a CEL result through JSON so that it holds only what
// unstructured content may (int64 and float64 numbers, no byte slices).
func jsonShaped(cfg map[string]any) (map[string]any, error) {
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("apply configuration is not JSON: %w", err)
	}
	var out map[string]any
	if err := utiljson.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("apply configuration is not JSON: %w", err)
	}
	return out, nil
}

// atomicPaths lists where an apply configuration sets an atomic list, map or
// struct. Such a value replaces the live one whole, silently dropping what the
// author did not repeat, so upstream refuses it. The walk follows the value
// through the schema's struct fields and list items; map entries without a
// declared field are not descended into.
func atomicPaths(s *smdschema.Schema, tr smdschema.TypeRef, v value.Value, path fieldpath.Path) []string {
	atom, ok := s.Resolve(tr)
	if !ok || v == nil {
		return nil
	}
	var out []string
	if v.IsMap() && atom.Map != nil {
		if atom.Map.ElementRelationship == smdschema.Atomic {
			out = append(out, path.String())
		}
		v.AsMap().Iterate(func(key string, item value.Value) bool {
			if f, ok := atom.Map.FindField(key); ok {
				out = append(out, atomicPaths(s, f.Type, item, child(path, fieldpath.PathElement{FieldName: &key}))...)
			}
			return true
		})
	}
	if v.IsList() && atom.List != nil {
		if atom.List.ElementRelationship == smdschema.Atomic {
			out = append(out, path.String())
		}
		list := v.AsList()
		for i := 0; i < list.Length(); i++ {
			index := i
			out = append(out, atomicPaths(s, atom.List.ElementType, list.At(i), child(path, fieldpath.PathElement{Index: &index}))...)
		}
	}
	return out
}

// child is path extended by e, never sharing path's backing array.
func child(path fieldpath.Path, e fieldpath.PathElement) fieldpath.Path {
	return append(path.Copy(), e)
}
