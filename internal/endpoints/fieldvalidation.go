package endpoints

import (
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
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
	return "", apierrors.NewBadRequest(fmt.Sprintf("fieldValidation: Unsupported value: %q: supported values: %q, %q, %q",
		v, fieldValidationIgnore, fieldValidationStrict, fieldValidationWarn))
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
