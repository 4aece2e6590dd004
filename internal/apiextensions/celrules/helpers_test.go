package celrules

import (
	"encoding/json"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

var schemaPath = field.NewPath("spec", "versions").Index(0).Child("schema", "openAPIV3Schema")

// mustSchema decodes a JSON schema.
func mustSchema(t testing.TB, s string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	var props apiextensionsv1.JSONSchemaProps
	if err := json.Unmarshal([]byte(s), &props); err != nil {
		t.Fatalf("bad schema: %v", err)
	}
	return &props
}

// mustObject decodes JSON as the API server's unstructured decoder does.
func mustObject(t testing.TB, s string) map[string]any {
	t.Helper()
	if s == "" {
		return nil
	}
	var m map[string]any
	if err := utiljson.Unmarshal([]byte(s), &m); err != nil {
		t.Fatalf("bad object: %v", err)
	}
	return m
}

// mustCompile compiles a schema that must have no CRD errors.
func mustCompile(t testing.TB, s string) *Validator {
	t.Helper()
	v, errs := Compile(mustSchema(t, s), schemaPath)
	if len(errs) > 0 {
		t.Fatalf("unexpected compile errors: %v", errs.ToAggregate())
	}
	return v
}

// errStrings renders errors as their Error() texts.
func errStrings(errs field.ErrorList) []string {
	out := make([]string, 0, len(errs))
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

// crSchema wraps a spec schema into a custom resource root schema.
func crSchema(spec string) string {
	return `{"type":"object","properties":{"apiVersion":{"type":"string"},"kind":{"type":"string"},"metadata":{"type":"object"},"spec":` + spec + `}}`
}
