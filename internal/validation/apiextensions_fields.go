package validation

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxSelectableFields is the most selectable fields a version may declare.
const maxSelectableFields = 8

var (
	printerColumnTypes   = "boolean,date,integer,number,string"
	printerColumnFormats = "byte,date,date-time,double,float,int32,int64,password"
)

// crdSubresources checks the scale subresource's JSON paths.
func crdSubresources(s *apiextensions.CustomResourceSubresources, p *field.Path) field.ErrorList {
	if s == nil || s.Scale == nil {
		return nil
	}
	var errs field.ErrorList
	scale := s.Scale
	replicasPath := func(value, name, under string) {
		fp := p.Child("scale." + name)
		if value == "" {
			errs = append(errs, field.Required(fp, ""))
			return
		}
		if e := simpleJSONPath(value, fp); len(e) > 0 {
			errs = append(errs, e...)
		} else if !strings.HasPrefix(value, under+".") {
			errs = append(errs, field.Invalid(fp, value, "should be a json path under "+under))
		}
	}
	replicasPath(scale.SpecReplicasPath, "specReplicasPath", ".spec")
	replicasPath(scale.StatusReplicasPath, "statusReplicasPath", ".status")
	if sel := scale.LabelSelectorPath; sel != nil && *sel != "" {
		fp := p.Child("scale.labelSelectorPath")
		if e := simpleJSONPath(*sel, fp); len(e) > 0 {
			errs = append(errs, e...)
		} else if !strings.HasPrefix(*sel, ".spec.") && !strings.HasPrefix(*sel, ".status.") {
			errs = append(errs, field.Invalid(fp, sel, "should be a json path under either .spec or .status"))
		}
	}
	return errs
}

// simpleJSONPath accepts the dot-notation paths subresources and columns use.
func simpleJSONPath(s string, p *field.Path) field.ErrorList {
	switch {
	case s == "":
		return field.ErrorList{field.Invalid(p, s, "must not be empty")}
	case s[0] != '.':
		return field.ErrorList{field.Invalid(p, s, "must be a simple json path starting with .")}
	}
	return nil
}

// crdPrinterColumn checks one additionalPrinterColumns entry.
func crdPrinterColumn(col *apiextensions.CustomResourceColumnDefinition, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if col.Name == "" {
		errs = append(errs, field.Required(p.Child("name"), ""))
	}
	switch {
	case col.Type == "":
		errs = append(errs, field.Required(p.Child("type"), "must be one of "+printerColumnTypes))
	case !strings.Contains(","+printerColumnTypes+",", ","+col.Type+","):
		errs = append(errs, field.Invalid(p.Child("type"), col.Type, "must be one of "+printerColumnTypes))
	}
	if col.Format != "" && !strings.Contains(","+printerColumnFormats+",", ","+col.Format+",") {
		errs = append(errs, field.Invalid(p.Child("format"), col.Format, "must be one of "+printerColumnFormats))
	}
	if col.JSONPath == "" {
		errs = append(errs, field.Required(p.Child("JSONPath"), ""))
	} else {
		errs = append(errs, simpleJSONPath(col.JSONPath, p.Child("JSONPath"))...)
	}
	return errs
}

// crdSelectableFields checks selectableFields against the version's schema:
// each must name an existing string, integer or boolean field outside
// metadata, once, and there may be at most maxSelectableFields of them.
func crdSelectableFields(fields []apiextensions.SelectableField, s *apiextensions.JSONSchemaProps, p *field.Path, allowTooMany bool) field.ErrorList {
	var errs field.ErrorList
	unique := map[string]bool{}
	for i, f := range fields {
		jp := p.Index(i).Child("jsonPath")
		if f.JSONPath == "" {
			errs = append(errs, field.Required(jp, ""))
			continue
		}
		path, found, err := resolveFieldPath(f.JSONPath, s)
		if err != nil {
			errs = append(errs, field.Invalid(jp, f.JSONPath, fmt.Sprintf("is an invalid path: %v", err)))
			continue
		}
		if path != nil && path.Root().String() == "metadata" {
			errs = append(errs, field.Invalid(jp, f.JSONPath, "must not point to fields in metadata"))
		}
		if found == nil || (found.Type != "string" && found.Type != "boolean" && found.Type != "integer") {
			errs = append(errs, field.Invalid(jp, f.JSONPath, "must point to a field of type string, boolean or integer. Enum string fields and strings with formats are allowed."))
		}
		if unique[path.String()] {
			errs = append(errs, field.Duplicate(jp, f.JSONPath))
		} else {
			unique[path.String()] = true
		}
	}
	if len(unique) > maxSelectableFields && !allowTooMany {
		errs = append(errs, field.TooMany(p, len(unique), maxSelectableFields))
	}
	return errs
}

// resolveFieldPath follows a dot-notation path (".a.b", no array notation)
// through the properties and additionalProperties of a schema, returning the
// path walked and the schema reached.
func resolveFieldPath(jsonPath string, s *apiextensions.JSONSchemaProps) (*field.Path, *apiextensions.JSONSchemaProps, error) {
	var path *field.Path
	rest := jsonPath
	for rest != "" {
		switch rest[0] {
		case '[':
			return nil, nil, errors.New("array notation is not allowed")
		case '.':
		default:
			end := strings.IndexAny(rest, ".[]")
			switch {
			case end < 0:
				end = len(rest)
			case end == 0:
				end = 1
			}
			return nil, nil, fmt.Errorf("expected [ or . but got: %s", rest[:end])
		}
		rest = rest[1:]
		end := strings.IndexAny(rest, ".[]")
		if end < 0 {
			end = len(rest)
		}
		name := rest[:end]
		rest = rest[end:]
		if end == 0 {
			if rest == "" {
				return nil, nil, errors.New("unexpected end of JSON path")
			}
			name, rest = rest[:1], rest[1:]
		}
		switch {
		case s == nil:
			return nil, nil, errors.New("does not refer to a valid field")
		case s.Properties != nil:
			child, ok := s.Properties[name]
			if !ok {
				return nil, nil, errors.New("does not refer to a valid field")
			}
			path, s = path.Child(name), &child
		case s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil:
			path, s = path.Key(name), s.AdditionalProperties.Schema
		default:
			return nil, nil, errors.New("does not refer to a valid field")
		}
	}
	return path, s, nil
}
