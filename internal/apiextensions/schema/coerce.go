package schema

import (
	"fmt"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
	kjson "sigs.k8s.io/json"
)

// CoerceMetadata normalises the metadata of the root object and of every
// embedded resource (x-kubernetes-embedded-resource) the way kube-apiserver
// does after decoding a custom resource: metadata is round-tripped through
// metav1.ObjectMeta, which drops unknown metadata fields, and apiVersion/kind
// of embedded resources must be strings.
//
// With dropInvalid=false (requests) a wrongly typed field is an error; with
// dropInvalid=true (reads from storage) it is dropped. An error about the
// root's metadata is field.Invalid at "metadata" whose Detail is the decoding
// error kube-apiserver answers with 400 BadRequest; embedded errors are the
// field errors upstream returns. At most one error is returned, like upstream.
func CoerceMetadata(obj map[string]any, s *Schema, dropInvalid bool) field.ErrorList {
	errs, _ := CoerceMetadataUnknown(obj, s, dropInvalid)
	return errs
}

// CoerceMetadataUnknown is CoerceMetadata that also returns the unknown
// metadata fields it dropped, for strict field validation: first the root's
// ("metadata.foo"), then the embedded resources' ("spec.t.metadata.bar"),
// each group sorted. kube-apiserver reports the root's before Prune's paths
// and the embedded ones after them.
func CoerceMetadataUnknown(obj map[string]any, s *Schema, dropInvalid bool) (field.ErrorList, []string) {
	if obj == nil {
		return nil, nil
	}
	var unknown []string

	for _, k := range []string{"apiVersion", "kind"} {
		if v, found := obj[k]; found {
			if _, ok := v.(string); !ok {
				if dropInvalid {
					delete(obj, k)
					continue
				}
				return field.ErrorList{field.Invalid(field.NewPath(k), v,
					fmt.Sprintf(".%s accessor error: %v is of the type %T, expected string", k, v, v))}, nil
			}
		}
	}

	meta, found, metaUnknown, err := objectMetaOf(obj, dropInvalid, nil)
	if err != nil {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error())}, nil
	}
	sort.Strings(metaUnknown)
	unknown = append(unknown, metaUnknown...)

	var c coercer
	c.dropInvalid = dropInvalid
	if root := s.usable(); root != nil {
		if ferr := c.coerce(nil, obj, root); ferr != nil {
			return field.ErrorList{ferr}, nil
		}
	}
	sort.Strings(c.unknown)
	unknown = append(unknown, c.unknown...)

	if found {
		if err := setObjectMeta(obj, meta); err != nil {
			return field.ErrorList{field.Invalid(field.NewPath("metadata"), obj["metadata"], err.Error())}, nil
		}
	}
	return nil, unknown
}

// coercer walks an object coercing the metadata of embedded resources.
type coercer struct {
	dropInvalid bool
	unknown     []string
}

func (c *coercer) coerce(pth *field.Path, x any, n *node) *field.Error {
	if n == nil {
		return nil
	}
	switch x := x.(type) {
	case map[string]any:
		for k, v := range x {
			if n.embedded {
				if err := c.coerceEmbeddedField(pth, x, k, v); err != nil {
					return err
				}
			}
			if p, ok := n.props[k]; ok {
				if err := c.coerce(pth.Child(k), x[k], p); err != nil {
					return err
				}
			} else if n.hasAdditional {
				if err := c.coerce(pth.Key(k), x[k], n.additional); err != nil {
					return err
				}
			}
		}
	case []any:
		for i, v := range x {
			if err := c.coerce(pth.Index(i), v, n.items); err != nil {
				return err
			}
		}
	}
	return nil
}

// coerceEmbeddedField checks one type-meta field of an embedded resource.
func (c *coercer) coerceEmbeddedField(pth *field.Path, x map[string]any, k string, v any) *field.Error {
	switch k {
	case "apiVersion", "kind":
		if _, ok := v.(string); !ok {
			if c.dropInvalid {
				delete(x, k)
				return nil
			}
			return field.Invalid(pth.Child(k), v, "must be a string")
		}
	case "metadata":
		meta, found, unknown, err := objectMetaOf(x, c.dropInvalid, pth)
		c.unknown = append(c.unknown, unknown...)
		if err != nil {
			if !c.dropInvalid {
				return field.Invalid(pth.Child("metadata"), v, err.Error())
			}
			return nil
		}
		if found {
			if err := setObjectMeta(x, meta); err != nil {
				return field.Invalid(pth.Child("metadata"), v, err.Error())
			}
			if meta.CreationTimestamp.IsZero() {
				if m, ok := x["metadata"].(map[string]any); ok {
					delete(m, "creationTimestamp")
				}
			}
		}
	}
	return nil
}

// objectMetaOf decodes obj["metadata"] as ObjectMeta. With dropMalformed, a
// field that does not decode is left out instead of failing the whole
// metadata. Unknown fields are returned as paths below parent.
func objectMetaOf(obj map[string]any, dropMalformed bool, parent *field.Path) (*metav1.ObjectMeta, bool, []string, error) {
	metadata, found := obj["metadata"]
	if !found {
		return nil, false, nil, nil
	}
	prefix := parent.Child("metadata").String()
	raw, err := utiljson.Marshal(metadata)
	if err != nil {
		return nil, false, nil, err
	}
	meta := &metav1.ObjectMeta{}
	strictErrs, decodeErr := kjson.UnmarshalStrict(raw, meta)
	if decodeErr == nil {
		return meta, true, unknownPaths(prefix, strictErrs), nil
	}
	if !dropMalformed {
		return nil, true, nil, decodeErr
	}
	fields, ok := metadata.(map[string]any)
	if !ok {
		return nil, false, nil, fmt.Errorf("invalid metadata: expected object, got %T", metadata)
	}
	accumulated := &metav1.ObjectMeta{}
	var unknown []string
	for k, v := range fields {
		single, err := utiljson.Marshal(map[string]any{k: v})
		if err != nil {
			continue
		}
		if utiljson.Unmarshal(single, &metav1.ObjectMeta{}) != nil {
			continue
		}
		strict, _ := kjson.UnmarshalStrict(single, accumulated)
		unknown = append(unknown, unknownPaths(prefix, strict)...)
	}
	return accumulated, true, unknown, nil
}

func unknownPaths(prefix string, strictErrs []error) []string {
	var out []string
	for _, err := range strictErrs {
		if fe, ok := err.(kjson.FieldError); ok {
			out = append(out, prefix+"."+fe.FieldPath())
		}
	}
	return out
}

// setObjectMeta replaces obj["metadata"] with meta's unstructured form.
func setObjectMeta(obj map[string]any, meta *metav1.ObjectMeta) error {
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(meta)
	if err != nil {
		return err
	}
	obj["metadata"] = m
	return nil
}
