package schema

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/operation"
	"k8s.io/apimachinery/pkg/api/validate/content"
	metavalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// validateEmbedded checks every x-kubernetes-embedded-resource value below x:
// apiVersion and kind are required and well formed, metadata is a valid
// ObjectMeta (with path-segment names, as upstream does for embedded objects).
func validateEmbedded(pth *field.Path, x any, n *node) field.ErrorList {
	if n == nil {
		return nil
	}
	var errs field.ErrorList
	switch x := x.(type) {
	case map[string]any:
		if n.embedded {
			errs = append(errs, validateEmbeddedResource(pth, x)...)
		}
		for k, v := range x {
			if p, ok := n.props[k]; ok {
				errs = append(errs, validateEmbedded(pth.Child(k), v, p)...)
			} else if n.hasAdditional {
				errs = append(errs, validateEmbedded(pth.Key(k), v, n.additional)...)
			}
		}
	case []any:
		for i, v := range x {
			errs = append(errs, validateEmbedded(pth.Index(i), v, n.items)...)
		}
	}
	return errs
}

func validateEmbeddedResource(pth *field.Path, x map[string]any) field.ErrorList {
	var errs field.ErrorList
	if _, found := x["apiVersion"]; !found {
		errs = append(errs, field.Required(pth.Child("apiVersion"), ""))
	}
	if _, found := x["kind"]; !found {
		errs = append(errs, field.Required(pth.Child("kind"), ""))
	}
	for k, v := range x {
		switch k {
		case "apiVersion":
			errs = append(errs, validateEmbeddedAPIVersion(pth.Child(k), v)...)
		case "kind":
			errs = append(errs, validateEmbeddedKind(pth.Child(k), v)...)
		case "metadata":
			meta, _, _, err := objectMetaOf(x, false, nil)
			if err != nil {
				errs = append(errs, field.Invalid(pth.Child("metadata"), v, err.Error()))
				continue
			}
			if meta.Name == "" {
				meta.Name = "fakename" // generateName alone is fine for an embedded object
			}
			errs = append(errs, metavalidation.ValidateObjectMetaDeclaratively(context.Background(), operation.Create,
				meta, nil, meta.Namespace != "", pathSegmentName, pth.Child("metadata"), true)...)
		}
	}
	return errs
}

func validateEmbeddedAPIVersion(p *field.Path, v any) field.ErrorList {
	s, ok := v.(string)
	switch {
	case !ok:
		return field.ErrorList{field.Invalid(p, v, "must be a string")}
	case s == "":
		return field.ErrorList{field.Invalid(p, s, "must not be empty")}
	}
	if _, err := schema.ParseGroupVersion(s); err != nil {
		return field.ErrorList{field.Invalid(p, s, err.Error())}
	}
	return nil
}

func validateEmbeddedKind(p *field.Path, v any) field.ErrorList {
	s, ok := v.(string)
	switch {
	case !ok:
		return field.ErrorList{field.Invalid(p, v, "must be a string")}
	case s == "":
		return field.ErrorList{field.Invalid(p, s, "must not be empty")}
	}
	if msgs := utilvalidation.IsDNS1035Label(strings.ToLower(s)); len(msgs) > 0 {
		return field.ErrorList{field.Invalid(p, s, "may have mixed case, but should otherwise match: "+strings.Join(msgs, ","))}
	}
	return nil
}

func pathSegmentName(name string, prefix bool) []string {
	if prefix {
		return content.IsPathSegmentPrefix(name)
	}
	return content.IsPathSegmentName(name)
}
