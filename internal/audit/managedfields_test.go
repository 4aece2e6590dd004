package audit

import (
	"encoding/json"
	"testing"
)

// FuzzStripManagedFields feeds request and response bodies (untrusted) to the
// managedFields stripper: it never panics and keeps valid JSON valid.
func FuzzStripManagedFields(f *testing.F) {
	f.Add([]byte(`{"kind":"Pod","metadata":{"name":"p","managedFields":[{"manager":"m"}]}}`))
	f.Add([]byte(`{"items":[{"metadata":{"managedFields":[]}},null,1]}`))
	f.Add([]byte(`{"rows":[{"object":{"metadata":{"managedFields":{}}}},{"object":7}]}`))
	f.Add([]byte(`{"metadata":null}`))
	f.Fuzz(func(t *testing.T, doc []byte) {
		out := StripManagedFields(doc)
		if json.Valid(doc) && !json.Valid(out) {
			t.Fatalf("valid %s became invalid %s", doc, out)
		}
	})
}
