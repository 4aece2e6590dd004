package schema

import (
	"fmt"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Schema is one CRD version's openAPIV3Schema prepared for repeated use on
// custom resources. New is cheap; the schema is compiled on first use, so
// registering many CRDs costs little. A Schema is safe for concurrent use.
type Schema struct {
	props *apiextensionsv1.JSONSchemaProps

	once sync.Once
	// The fields below are written once, inside once.Do, then only read.
	root    *node        // structural skeleton with pruned defaults; nil: no schema
	openAPI *spec.Schema // what objects are validated against; nil: no schema
	err     error
}

// New prepares props for use. With nil props every field is preserved and
// nothing is validated or defaulted (x-kubernetes-preserve-unknown-fields at
// the root, the behaviour of CRDs without a schema).
func New(props *apiextensionsv1.JSONSchemaProps) *Schema {
	return &Schema{props: props}
}

// Err reports why the schema could not be compiled (a schema that passed CRD
// validation always compiles). Validate reports it as an internal error.
func (s *Schema) Err() error {
	s.compile()
	return s.err
}

func (s *Schema) compile() {
	s.once.Do(func() {
		if s.props == nil {
			return
		}
		internal, err := toInternal(s.props)
		if err != nil {
			s.err = err
			return
		}
		root, err := buildNode(internal)
		if err != nil {
			s.err = err
			return
		}
		if err := pruneDefaults(root); err != nil {
			s.err = err
			return
		}
		s.root = root
		s.openAPI = toOpenAPI(internal, forObjects)
	})
}

// usable returns the compiled skeleton, or nil when the schema is absent or
// broken (then everything is preserved).
func (s *Schema) usable() *node {
	if s == nil {
		return nil
	}
	s.compile()
	return s.root
}

// toInternal converts a v1 schema to the internal version, whose JSON values
// (defaults, enums) are decoded to Go values with integers as int64.
func toInternal(in *apiextensionsv1.JSONSchemaProps) (*apiextensions.JSONSchemaProps, error) {
	out := &apiextensions.JSONSchemaProps{}
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(in, out, nil); err != nil {
		return nil, fmt.Errorf("failed converting schema to internal version: %w", err)
	}
	return out, nil
}
