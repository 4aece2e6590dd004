package conversion

import (
	"errors"
	"fmt"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// checkIdentity refuses a converted object that is not the one sent: kind, name,
// namespace and uid must not change.
func checkIdentity(in, out *unstructured.Unstructured) error {
	if a, b := in.GetKind(), out.GetKind(); a != b {
		return fmt.Errorf("must have the same kind: %v != %v", a, b)
	}
	if a, b := in.GetName(), out.GetName(); a != b {
		return fmt.Errorf("must have the same name: %v != %v", a, b)
	}
	if a, b := in.GetNamespace(), out.GetNamespace(); a != b {
		return fmt.Errorf("must have the same namespace: %v != %v", a, b)
	}
	if a, b := in.GetUID(), out.GetUID(); a != b {
		return fmt.Errorf("must have the same UID: %v != %v", a, b)
	}
	return nil
}

// keepMetadata replaces the converted object's metadata by a copy of the
// original's, keeping only the labels and annotations the webhook returned (which
// must then be valid): a webhook may not change anything else in metadata.
func keepMetadata(original, converted *unstructured.Unstructured) error {
	raw, found := converted.Object["metadata"]
	if !found {
		return errors.New("missing metadata in converted object")
	}
	answered, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("invalid metadata of type %T in converted object", raw)
	}
	var md map[string]any
	if om, found := original.Object["metadata"]; found {
		copied := runtime.DeepCopyJSONValue(om)
		if md, ok = copied.(map[string]any); !ok {
			return fmt.Errorf("invalid metadata of type %T in input object", copied)
		}
	} else {
		md = map[string]any{}
	}
	for _, name := range []string{"labels", "annotations"} {
		if err := takeStringMap(md, answered, name); err != nil {
			return err
		}
	}
	converted.Object["metadata"] = md
	return nil
}

// takeStringMap sets md[name] to the answered labels or annotations (dropping it
// when the answer has none), validating them when they differ from the original's.
func takeStringMap(md, answered map[string]any, name string) error {
	raw, found := answered[name]
	if !found || raw == nil {
		delete(md, name)
		return nil
	}
	got, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("invalid metadata.%s of type %T in converted object", name, raw)
	}
	had, ok := md[name].(map[string]any)
	if !ok && md[name] != nil {
		return fmt.Errorf("invalid metadata.%s of type %T in original object", name, md[name])
	}
	changed := len(had) != len(got)
	strs := make(map[string]string, len(got))
	for k, v := range got {
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("metadata.%s[%s] must be a string, but is %T in converted object", name, k, v)
		}
		if old, ok := had[k].(string); !ok || old != s {
			changed = true
		}
		strs[k] = s
	}
	if changed {
		var errs field.ErrorList
		if name == "labels" {
			errs = metav1validation.ValidateLabels(strs, field.NewPath("metadata", "labels"))
		} else {
			// upstream's path, singular
			errs = apivalidation.ValidateAnnotations(strs, field.NewPath("metadata", "annotation"))
		}
		if len(errs) > 0 {
			return errs.ToAggregate()
		}
	}
	md[name] = got
	return nil
}
