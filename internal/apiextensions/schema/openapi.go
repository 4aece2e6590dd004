package schema

import (
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// supportedStringFormats are the string formats kube-apiserver v1.37 validates
// (normalised without dashes, as go-openapi looks them up); every other
// format is dropped before validation so it is accepted unchecked.
var supportedStringFormats = sets.New(
	"bsonobjectid", "uri", "email", "hostname", "ipv4", "ipv6", "cidr", "mac",
	"uuid", "uuid3", "uuid4", "uuid5", "isbn", "isbn10", "isbn13", "creditcard",
	"ssn", "hexcolor", "rgbcolor", "byte", "password", "date", "duration",
	"datetime", "k8sshortname", "k8slongname",
)

// supportedFormat reports whether format is validated for a value of type typ.
func supportedFormat(typ, format string) bool {
	switch typ {
	case "", "string":
		return supportedStringFormats.Has(strings.ReplaceAll(format, "-", ""))
	case "integer":
		return format == "int32" || format == "int64"
	case "number":
		return format == "float" || format == "double"
	}
	return false
}

// openAPIMode selects between the two conversions kube-apiserver uses.
type openAPIMode int

const (
	// forObjects is the schema custom resources are validated with:
	// int-or-string becomes type [integer, string], unsupported formats go.
	forObjects openAPIMode = iota
	// forDefaults is the schema default values are validated with at CRD
	// write time: types and formats exactly as written.
	forDefaults
)

// toOpenAPI converts a schema level to kube-openapi's model for validation.
func toOpenAPI(in *apiextensions.JSONSchemaProps, mode openAPIMode) *spec.Schema {
	if in == nil {
		return nil
	}
	out := &spec.Schema{}
	out.Description = in.Description
	out.Title = in.Title
	if in.Type != "" {
		out.Type = spec.StringOrArray{in.Type}
	}
	out.Nullable = in.Nullable
	out.Format = in.Format
	if mode == forObjects {
		if in.XIntOrString {
			out.Type = spec.StringOrArray{"integer", "string"}
		}
		if out.Format != "" && !supportedFormat(singleType(out.Type), out.Format) {
			out.Format = ""
		}
	}
	out.Maximum = in.Maximum
	out.ExclusiveMaximum = in.ExclusiveMaximum
	out.Minimum = in.Minimum
	out.ExclusiveMinimum = in.ExclusiveMinimum
	out.MaxLength = in.MaxLength
	out.MinLength = in.MinLength
	out.Pattern = in.Pattern
	out.MaxItems = in.MaxItems
	out.MinItems = in.MinItems
	out.UniqueItems = in.UniqueItems
	out.MultipleOf = in.MultipleOf
	out.MaxProperties = in.MaxProperties
	out.MinProperties = in.MinProperties
	out.Required = in.Required
	if in.Enum != nil {
		out.Enum = make([]any, len(in.Enum))
		for i, e := range in.Enum {
			out.Enum[i] = any(e)
		}
	}
	out.AllOf = toOpenAPISlice(in.AllOf, mode)
	out.AnyOf = toOpenAPISlice(in.AnyOf, mode)
	out.OneOf = toOpenAPISlice(in.OneOf, mode)
	out.Not = toOpenAPI(in.Not, mode)
	if in.Properties != nil {
		out.Properties = make(map[string]spec.Schema, len(in.Properties))
		for k := range in.Properties {
			p := in.Properties[k]
			out.Properties[k] = *toOpenAPI(&p, mode)
		}
	}
	if in.AdditionalProperties != nil {
		out.AdditionalProperties = &spec.SchemaOrBool{
			Allows: in.AdditionalProperties.Allows,
			Schema: toOpenAPI(in.AdditionalProperties.Schema, mode),
		}
	}
	if in.Items != nil && in.Items.Schema != nil {
		out.Items = &spec.SchemaOrArray{Schema: toOpenAPI(in.Items.Schema, mode)}
	}
	return out
}

func toOpenAPISlice(in []apiextensions.JSONSchemaProps, mode openAPIMode) []spec.Schema {
	if in == nil {
		return nil
	}
	out := make([]spec.Schema, len(in))
	for i := range in {
		out[i] = *toOpenAPI(&in[i], mode)
	}
	return out
}

func singleType(t spec.StringOrArray) string {
	if len(t) == 1 {
		return t[0]
	}
	return ""
}
