package endpoints_test

import (
	"encoding/json"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzCreateBody posts random bodies as JSON, YAML and protobuf: never a 5xx, and a
// rejected body never leaves an object behind.
func FuzzCreateBody(f *testing.F) {
	c := newClient(f)
	for _, s := range []string{
		cm("fz", ""), `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fz","namespace":"other"}}`,
		`{"apiVersion":"v1","kind":"ConfigMap"}`, `{"kind":"ConfigMap"}`, `[]`, `null`, `{`, "",
		"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fzy\n", "k8s\x00\n\x02\x12\x00", "k8s\x00\xff\xff",
		`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"fz2","labels":{"a":1}}}`,
	} {
		for _, ct := range []uint8{0, 1, 2} {
			f.Add([]byte(s), ct)
		}
	}
	cts := []string{jsonCT, yamlCT, protoCT}
	f.Fuzz(func(t *testing.T, body []byte, ctSel uint8) {
		c.t = t
		r := c.do("POST", "/api/v1/namespaces/t/configmaps?dryRun=All", cts[int(ctSel)%len(cts)], "", body)
		if r.code >= 500 {
			t.Fatalf("code %d for %q: %s", r.code, body, r.body)
		}
		if r.code != http.StatusCreated {
			r.status(t)
			return
		}
		var got corev1.ConfigMap
		if err := json.Unmarshal(r.body, &got); err != nil || got.Name == "" || got.Namespace != "t" {
			t.Fatalf("created object is not a valid configmap (%v): %s", err, r.body)
		}
		// dryRun: nothing may persist.
		if g := c.do("GET", "/api/v1/namespaces/t/configmaps/"+got.Name, "", "", nil); g.code != http.StatusNotFound {
			t.Fatalf("dry-run create persisted %q: %d", got.Name, g.code)
		}
	})
}

// FuzzPatch applies random patches of every type to one configmap: never a 5xx, and
// the stored object stays a valid configmap.
func FuzzPatch(f *testing.F) {
	c := newClient(f)
	c.mustCreate("/api/v1/namespaces/t/configmaps", cm("target", ""))
	for _, s := range []string{
		`{"data":{"x":"y"}}`, `{"data":null}`, `{"metadata":{"name":"other"}}`, `{"metadata":{"namespace":"x"}}`,
		`[{"op":"remove","path":"/metadata"}]`, `[{"op":"replace","path":"/kind","value":"Secret"}]`,
		`[{"op":"add","path":"/data/a~1b","value":"1"}]`, `{"$patch":"delete"}`, `{"data":{"$retainKeys":["k"]}}`,
		`[{"op":"move","from":"/data","path":"/binaryData"}]`, `{"apiVersion":"v2"}`, `{"data":{"k":5}}`, `[`, `"str"`,
	} {
		for _, pt := range []uint8{0, 1, 2} {
			f.Add([]byte(s), pt)
		}
	}
	pts := []string{"application/merge-patch+json", "application/strategic-merge-patch+json", "application/json-patch+json"}
	f.Fuzz(func(t *testing.T, patch []byte, ptSel uint8) {
		c.t = t
		r := c.do("PATCH", "/api/v1/namespaces/t/configmaps/target?dryRun=All", pts[int(ptSel)%len(pts)], "", patch)
		if r.code >= 500 {
			t.Fatalf("code %d for %q: %s", r.code, patch, r.body)
		}
		if r.code == http.StatusOK {
			var got corev1.ConfigMap
			if err := json.Unmarshal(r.body, &got); err != nil || got.Name != "target" || got.Namespace != "t" || got.Kind != "ConfigMap" {
				t.Fatalf("patched object invalid (%v): %s", err, r.body)
			}
		} else {
			r.status(t)
		}
		g := c.do("GET", "/api/v1/namespaces/t/configmaps/target", "", "", nil)
		var cur corev1.ConfigMap
		if err := json.Unmarshal(g.body, &cur); g.code != 200 || err != nil || cur.Name != "target" || cur.Data["k"] != "v" || len(cur.Data) != 1 {
			t.Fatalf("stored object changed by dry-run patch: %d %s", g.code, g.body)
		}
	})
}
