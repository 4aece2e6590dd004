package openapi

import (
	"reflect"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/kube-openapi/pkg/common"
)

// Descriptions upstream writes by hand rather than taking from a type's docs.
const (
	prettyDescription    = "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget)."
	namespaceDescription = "object name and auth scope, such as for teams and projects"
)

// swaggerDocer is implemented by the meta/v1 option types; its map holds each
// field's documentation keyed by JSON name, the text upstream puts on the query
// parameters.
type swaggerDocer interface {
	SwaggerDoc() map[string]string
}

// optionParams turns the fields of a meta/v1 options struct into query parameters,
// as upstream derives them from the same structs: one per JSON field of a simple
// type, described by the type's SwaggerDoc. skip names fields to leave out.
func optionParams(opts swaggerDocer, skip ...string) []*param {
	docs := opts.SwaggerDoc()
	t := reflect.TypeOf(opts)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []*param
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || contains(skip, name) {
			continue
		}
		dataType := simpleType(f.Type)
		if dataType == "" {
			// Structs such as DeleteOptions.preconditions travel only in the body.
			continue
		}
		out = append(out, &param{
			name:        name,
			description: docs[name],
			kind:        common.QueryParameterKind,
			dataType:    dataType,
		})
	}
	return out
}

// simpleType maps a field type to the parameter type upstream gives it; slices
// (dryRun) are a repeated string. "" means the field is not a query parameter.
func simpleType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		return "integer"
	default:
		return ""
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// paramSets are the query parameters of each operation kind, computed once per
// build from the option types.
type paramSets struct {
	list, deleteCollection, del, create, update, patch []*param
}

func newParamSets() paramSets {
	deleteParams := optionParams(metav1.DeleteOptions{})
	return paramSets{
		list: optionParams(metav1.ListOptions{}),
		// A collection delete takes list selectors but never watches.
		deleteCollection: append(optionParams(metav1.ListOptions{}, "watch", "allowWatchBookmarks"), deleteParams...),
		del:              deleteParams,
		create:           optionParams(metav1.CreateOptions{}),
		update:           optionParams(metav1.UpdateOptions{}),
		patch:            optionParams(metav1.PatchOptions{}),
	}
}

func pathParam(name, description string) *param {
	return &param{name: name, description: description, required: true, kind: common.PathParameterKind, dataType: "string"}
}

func bodyParam(required bool) *param {
	return &param{name: "body", required: required, kind: common.BodyParameterKind}
}
