package validation

import (
	"fmt"
	"reflect"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/apiextensions/celrules"
	"github.com/kapi-dev/kapi/internal/apiextensions/schema"
)

// allowedAtStatusRoot are the JSONSchemaProps fields a root schema may use when
// the status subresource is on: status' schema is cut out as
// properties["status"], and these keep their meaning after the cut.
var allowedAtStatusRoot = []string{"Description", "Type", "Format", "Title", "Maximum", "ExclusiveMaximum", "Minimum", "ExclusiveMinimum", "MaxLength", "MinLength", "Pattern", "MaxItems", "MinItems", "UniqueItems", "MultipleOf", "Required", "Items", "Properties", "ExternalDocs", "Example", "XPreserveUnknownFields", "XValidations"}

// crdSchema checks one schema (a version's, or the top-level one) at p
// (…schema or spec.validation): root restrictions, the OpenAPI subset CRDs
// allow, structural-schema and default rules, then the CEL rules.
func crdSchema(v *apiextensions.CustomResourceValidation, statusEnabled bool, opts crdOptions, p *field.Path) field.ErrorList {
	if v == nil || v.OpenAPIV3Schema == nil {
		return nil
	}
	s := v.OpenAPIV3Schema
	sp := p.Child("openAPIV3Schema")
	var errs field.ErrorList
	if statusEnabled {
		errs = append(errs, statusRootProblems(s, p)...)
	}
	if s.Nullable {
		errs = append(errs, field.Forbidden(p.Child("openAPIV3Schema.nullable"), "nullable cannot be true at the root"))
	}

	v1, err := schemaToV1(s)
	if err != nil {
		return append(errs, field.InternalError(sp, err))
	}
	var initErrs field.ErrorList
	structuralOK := false
	if opts.requireStructuralSchema {
		if err := schema.StructuralInitError(v1); err != nil {
			// overlaps with the OpenAPI checks below; shown only when they are silent.
			initErrs = append(initErrs, field.Invalid(sp, "", err.Error()))
		} else if e := schema.ValidateStructural(v1, sp); len(e) > 0 {
			errs = append(errs, e...)
		} else if e := crdDefaults(v1, sp, opts); len(e) > 0 {
			errs = append(errs, e...)
		} else {
			structuralOK = true
		}
	}
	w := &openAPIWalker{opts: opts}
	w.walk(s, sp, schemaContext{allowDefaults: true}, true)
	errs = append(errs, w.errs...)
	if len(w.errs) == 0 && structuralOK {
		// CEL types come from the structural schema, so rules are only compiled
		// for a schema that is otherwise valid, as upstream does; the compiler
		// reports the rules' field errors too.
		_, celErrs := celrules.Compile(v1, sp)
		if opts.unchangedSchema {
			celErrs = dropPerExpressionCost(celErrs)
		}
		errs = append(errs, celErrs...)
	} else {
		errs = append(errs, w.ruleErrs...)
	}
	if len(errs) == 0 {
		errs = append(errs, initErrs...)
	}
	return errs
}

// dropPerExpressionCost removes the per-rule cost limits, which a schema the
// update leaves unchanged is not held to (a newer server may estimate higher).
func dropPerExpressionCost(errs field.ErrorList) field.ErrorList {
	var out field.ErrorList
	for _, e := range errs {
		if e.Type == field.ErrorTypeForbidden && (strings.HasPrefix(e.Detail, "estimated rule cost ") || strings.HasPrefix(e.Detail, "estimated messageExpression cost ")) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// crdDefaults checks defaults; they need not be pruned if the stored CRD
// already had unpruned ones.
func crdDefaults(v1 *apiextensionsv1.JSONSchemaProps, p *field.Path, opts crdOptions) field.ErrorList {
	return schema.ValidateDefaultsWithOptions(v1, p, opts.requirePrunedDefaults)
}

// statusRootProblems reports root schema fields that a status subresource does
// not allow, stopping at the first, as upstream does.
func statusRootProblems(s *apiextensions.JSONSchemaProps, p *field.Path) field.ErrorList {
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		if v.Field(i).IsZero() {
			continue
		}
		name := v.Type().Field(i).Name
		if name == "Type" {
			if s.Type != "object" {
				return field.ErrorList{field.Invalid(p.Child("openAPIV3Schema.type"), s.Type, `only "object" is allowed as the type at the root of the schema if the status subresource is enabled`)}
			}
			continue
		}
		allowed := false
		for _, a := range allowedAtStatusRoot {
			allowed = allowed || a == name
		}
		if !allowed {
			return field.ErrorList{field.Invalid(p.Child("openAPIV3Schema"), *s, fmt.Sprintf(`only %v fields are allowed at the root of the schema if the status subresource is enabled`, allowedAtStatusRoot))}
		}
	}
	return nil
}

// schemaToV1 gives the sibling schema packages the v1 form they work on.
func schemaToV1(s *apiextensions.JSONSchemaProps) (*apiextensionsv1.JSONSchemaProps, error) {
	out := &apiextensionsv1.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_apiextensions_JSONSchemaProps_To_v1_JSONSchemaProps(s, out, nil); err != nil {
		return nil, err
	}
	return out, nil
}
