package endpoints

import (
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// The fieldValidation query parameter's values; Warn is the default, as upstream.
const (
	fieldValidationIgnore = "Ignore"
	fieldValidationWarn   = "Warn"
	fieldValidationStrict = "Strict"
)

func fieldValidation(r *http.Request) (string, error) {
	v := r.URL.Query().Get("fieldValidation")
	switch v {
	case "":
		return fieldValidationWarn, nil
	case fieldValidationIgnore, fieldValidationWarn, fieldValidationStrict:
		return v, nil
	}
	return "", apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: writeOptionsKind(r)}, "", field.ErrorList{
		field.NotSupported(field.NewPath("fieldValidation"), v, []string{"", fieldValidationIgnore, fieldValidationStrict, fieldValidationWarn})})
}

// writeOptionsKind names the options a write request's query carries, which
// upstream's refusals of bad options name: CreateOptions for a POST,
// PatchOptions for a PATCH, UpdateOptions for a PUT.
func writeOptionsKind(r *http.Request) string {
	switch r.Method {
	case http.MethodPost:
		return "CreateOptions"
	case http.MethodPatch:
		return "PatchOptions"
	}
	return "UpdateOptions"
}

// strictSerializers decode JSON and YAML reporting unknown and duplicate fields.
func strictSerializers(scheme *runtime.Scheme) map[string]runtime.Serializer {
	opts := json.SerializerOptions{Strict: true}
	yamlOpts := json.SerializerOptions{Strict: true, Yaml: true}
	return map[string]runtime.Serializer{
		runtime.ContentTypeJSON: json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, opts),
		runtime.ContentTypeYAML: json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, yamlOpts),
	}
}

// addWarnings sends each message as a Warning header, in upstream's format.
func addWarnings(w http.ResponseWriter, warnings []string) {
	for _, msg := range warnings {
		w.Header().Add("Warning", "299 - "+strconv.Quote(msg))
	}
}
