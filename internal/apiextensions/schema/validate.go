package schema

import (
	"encoding/json"
	"reflect"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"
	openapierrors "k8s.io/kube-openapi/pkg/validation/errors"
	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
	"k8s.io/kube-openapi/pkg/validation/validate"
)

// Validate checks a whole custom resource against the schema: value
// validation (kube-openapi), embedded resources' apiVersion/kind/metadata,
// and x-kubernetes-list-type set/map uniqueness, in kube-apiserver's order.
// The root's ObjectMeta is left to the registry; only the schema's own
// constraints on metadata.name/generateName apply here.
func (s *Schema) Validate(obj map[string]any) field.ErrorList {
	s.compile()
	if s.err != nil {
		return field.ErrorList{field.InternalError(nil, s.err)}
	}
	if s.openAPI == nil {
		return nil
	}
	errs := openAPIErrors(nil, newValidator(s.openAPI).Validate(obj))
	errs = append(errs, validateEmbedded(nil, obj, s.root)...)
	errs = append(errs, validateLists(nil, s.root, obj)...)
	return errs
}

// ValidateUpdate is Validate for an update from old to obj with ratcheting:
// value-validation errors on values semantically unchanged since old are
// dropped, and list uniqueness is only enforced if old honoured it.
func (s *Schema) ValidateUpdate(obj, old map[string]any) field.ErrorList {
	s.compile()
	if s.err != nil {
		return field.ErrorList{field.InternalError(nil, s.err)}
	}
	if s.openAPI == nil {
		return nil
	}
	c := newCorrelation(obj, old, s.root)
	errs := openAPIErrors(nil, newRatchetingValidator(c, s.openAPI, "").Validate(obj))
	errs = append(errs, validateEmbedded(nil, obj, s.root)...)
	if len(validateLists(nil, s.root, old)) == 0 {
		errs = append(errs, validateLists(nil, s.root, obj)...)
	}
	return errs
}

// ValidateStatusUpdate validates an update through the status subresource:
// only obj's status (if any) is value-validated, against the schema's status
// property with ratcheting; list uniqueness errors count only when new.
func (s *Schema) ValidateStatusUpdate(obj, old map[string]any) field.ErrorList {
	s.compile()
	if s.err != nil {
		return field.ErrorList{field.InternalError(nil, s.err)}
	}
	if s.openAPI == nil {
		return nil
	}
	var errs field.ErrorList
	if status, ok := obj["status"]; ok {
		if statusSchema, ok := s.openAPI.Properties["status"]; ok {
			c := newCorrelation(obj, old, s.root).key("status")
			var res *validate.Result
			if c == nil {
				res = newValidator(&statusSchema).Validate(status)
			} else {
				res = newRatchetingValidator(c, &statusSchema, "").Validate(status)
			}
			errs = append(errs, openAPIErrors(field.NewPath("status"), res)...)
		}
	}
	if newErrs := validateLists(nil, s.root, obj); len(newErrs) > 0 {
		if len(validateLists(nil, s.root, old)) == 0 {
			errs = append(errs, newErrs...)
		}
	}
	return errs
}

func newValidator(sch *spec.Schema, opts ...validate.Option) *validate.SchemaValidator {
	return validate.NewSchemaValidator(sch, nil, "", strfmt.Default, opts...)
}

// ratchetingValidator validates one correlated value. kube-openapi asks it
// for the validators of child fields and items, so the correlation follows
// the walk; errors below a value equal to its old value become warnings.
type ratchetingValidator struct {
	c      *correlation
	schema *spec.Schema
	path   string
}

var _ validate.ValueValidator = (*ratchetingValidator)(nil)

func newRatchetingValidator(c *correlation, sch *spec.Schema, path string) *ratchetingValidator {
	return &ratchetingValidator{c: c, schema: sch, path: path}
}

func (r *ratchetingValidator) option() validate.Option {
	return func(o *validate.SchemaValidatorOptions) {
		o.NewValidatorForField = r.forField
		o.NewValidatorForIndex = r.forIndex
	}
}

func (r *ratchetingValidator) Validate(any) *validate.Result {
	v := validate.NewSchemaValidator(r.schema, nil, r.path, strfmt.Default, r.option())
	res := v.Validate(r.c.new)
	if res.IsValid() {
		return res
	}
	if r.c.deepEqual() {
		ratcheted := &validate.Result{}
		ratcheted.MergeAsWarnings(res)
		return ratcheted
	}
	return res
}

func (r *ratchetingValidator) forField(fieldName string, sch *spec.Schema, rootSchema any, root string, formats strfmt.Registry, opts ...validate.Option) validate.ValueValidator {
	child := r.c.key(fieldName)
	if child == nil || (r.path == "" && (fieldName == "kind" || fieldName == "apiVersion")) {
		return validate.NewSchemaValidator(sch, rootSchema, root, formats, opts...)
	}
	return newRatchetingValidator(child, sch, root)
}

func (r *ratchetingValidator) forIndex(i int, sch *spec.Schema, rootSchema any, root string, formats strfmt.Registry, opts ...validate.Option) validate.ValueValidator {
	child := r.c.index(i)
	if child == nil {
		return validate.NewSchemaValidator(sch, rootSchema, root, formats, opts...)
	}
	return newRatchetingValidator(child, sch, root)
}

func (r *ratchetingValidator) SetPath(string) {}

func (r *ratchetingValidator) Applies(any, reflect.Kind) bool { return true }

// openAPIErrors turns kube-openapi's result into field errors the way
// kube-apiserver reports them for custom resources.
func openAPIErrors(fldPath *field.Path, res *validate.Result) field.ErrorList {
	if res == nil || res.IsValid() {
		return nil
	}
	var errs field.ErrorList
	for _, e := range res.Errors {
		verr, ok := e.(*openapierrors.Validation)
		if !ok {
			errs = append(errs, field.Invalid(fldPath, "", e.Error()))
			continue
		}
		p := fldPath
		if verr.Name != "" && verr.Name != "." {
			p = p.Child(strings.TrimPrefix(verr.Name, "."))
		}
		value := verr.Value
		if value == nil {
			value = ""
		}
		switch verr.Code() {
		case openapierrors.RequiredFailCode:
			errs = append(errs, field.Required(p, ""))
		case openapierrors.EnumFailCode:
			errs = append(errs, field.NotSupported(p, verr.Value, enumStrings(verr.Values)))
		case openapierrors.TooLongFailCode:
			errs = append(errs, field.TooLong(p, "", int(int64Or(verr.Valid, -1))))
		case openapierrors.MaxItemsFailCode, openapierrors.TooManyPropertiesCode:
			errs = append(errs, field.TooMany(p, int(int64Or(verr.Value, -1)), int(int64Or(verr.Valid, -1))))
		case openapierrors.InvalidTypeCode:
			errs = append(errs, field.TypeInvalid(p, value, verr.Error()))
		default:
			errs = append(errs, field.Invalid(p, value, verr.Error()))
		}
	}
	return errs
}

func enumStrings(values []any) []string {
	out := []string{}
	for _, v := range values {
		if s, ok := v.(string); ok {
			out = append(out, s)
			continue
		}
		b, _ := json.Marshal(v)
		out = append(out, string(b))
	}
	return out
}

func int64Or(v any, fallback int64) int64 {
	if i, ok := v.(int64); ok {
		return i
	}
	return fallback
}
