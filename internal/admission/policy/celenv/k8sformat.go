package celenv

import (
	"fmt"
	"net/url"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/kube-openapi/pkg/validation/strfmt"
)

// formatLibrary is Kubernetes' format library: format.named("dns1123Label"),
// format.dns1123Label() and the like, and <format>.validate(string), which is
// optional.none() for a valid string or the list of what is wrong with it.
func formatLibrary() cel.EnvOption { return cel.Lib(formatLib{}) }

type formatLib struct{}

var formatType = cel.OpaqueType("kubernetes.NamedFormat")

// namedFormat is one format a string may be checked against.
type namedFormat struct {
	name     string
	validate func(string) []string
}

func (f namedFormat) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("format cannot be converted")
}
func (f namedFormat) ConvertToType(ref.Type) ref.Val { return types.NewErr("no conversion of format") }
func (f namedFormat) Equal(o ref.Val) ref.Val {
	other, ok := o.(namedFormat)
	return types.Bool(ok && other.name == f.name)
}
func (f namedFormat) Type() ref.Type { return formatType }
func (f namedFormat) Value() any     { return f }

// stringFormat checks a string with strfmt's registry and answers msg when it fails.
func stringFormat(format, msg string) func(string) []string {
	return func(s string) []string {
		if !strfmt.Default.Validates(format, s) {
			return []string{msg}
		}
		return nil
	}
}

// formats are the named formats, as upstream's format library names them.
var formats = map[string]func(string) []string{
	"dns1123Label":           func(s string) []string { return apimachineryvalidation.NameIsDNSLabel(s, false) },
	"dns1123Subdomain":       func(s string) []string { return apimachineryvalidation.NameIsDNSSubdomain(s, false) },
	"dns1035Label":           func(s string) []string { return apimachineryvalidation.NameIsDNS1035Label(s, false) },
	"qualifiedName":          validation.IsQualifiedName,
	"dns1123LabelPrefix":     func(s string) []string { return apimachineryvalidation.NameIsDNSLabel(s, true) },
	"dns1123SubdomainPrefix": func(s string) []string { return apimachineryvalidation.NameIsDNSSubdomain(s, true) },
	"dns1035LabelPrefix":     func(s string) []string { return apimachineryvalidation.NameIsDNS1035Label(s, true) },
	"labelValue":             validation.IsValidLabelValue,
	"uri": func(s string) []string {
		if _, err := url.ParseRequestURI(s); err != nil {
			return []string{err.Error()}
		}
		return nil
	},
	"uuid":     stringFormat("uuid", "does not match the UUID format"),
	"byte":     stringFormat("byte", "invalid base64"),
	"date":     stringFormat("date", "invalid date"),
	"datetime": stringFormat("datetime", "invalid datetime"),
}

func (formatLib) CompileOptions() []cel.EnvOption {
	opts := []cel.EnvOption{
		cel.Function("format.named", cel.Overload("format-named", []*cel.Type{cel.StringType}, cel.OptionalType(formatType),
			cel.UnaryBinding(func(name ref.Val) ref.Val {
				s, ok := name.(types.String)
				if !ok {
					return types.MaybeNoSuchOverloadErr(name)
				}
				check, ok := formats[string(s)]
				if !ok {
					return types.OptionalNone
				}
				return types.OptionalOf(namedFormat{name: string(s), validate: check})
			}))),
		cel.Function("validate", cel.MemberOverload("format-validate", []*cel.Type{formatType, cel.StringType},
			cel.OptionalType(cel.ListType(cel.StringType)), cel.BinaryBinding(func(f, s ref.Val) ref.Val {
				nf, ok := f.(namedFormat)
				str, ok2 := s.(types.String)
				if !ok || !ok2 {
					return types.MaybeNoSuchOverloadErr(f)
				}
				if errs := nf.validate(string(str)); len(errs) > 0 {
					return types.OptionalOf(types.NewStringList(types.DefaultTypeAdapter, errs))
				}
				return types.OptionalNone
			}))),
	}
	for name, check := range formats {
		f := namedFormat{name: name, validate: check}
		opts = append(opts, cel.Function("format."+name, cel.Overload("format."+name, nil, formatType,
			cel.FunctionBinding(func(...ref.Val) ref.Val { return f }))))
	}
	return opts
}

func (formatLib) ProgramOptions() []cel.ProgramOption { return nil }
