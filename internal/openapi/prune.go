package openapi

import (
	"k8s.io/kube-openapi/pkg/schemamutation"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// pruneDefaults removes every "default" from the v2 definitions, as kube-apiserver
// does before serving /openapi/v2: v2 clients predate defaults next to $ref and
// reject or misread them. v3 keeps its defaults.
func pruneDefaults(defs spec.Definitions) {
	w := schemamutation.Walker{
		SchemaCallback: func(s *spec.Schema) *spec.Schema {
			if s.Default == nil {
				return s
			}
			// The walker hands out schemas shared with the generated definitions;
			// change a copy.
			c := *s
			c.Default = nil
			return &c
		},
		RefCallback: schemamutation.RefCallbackNoop,
	}
	for name, s := range defs {
		defs[name] = *w.WalkSchema(&s)
	}
}
