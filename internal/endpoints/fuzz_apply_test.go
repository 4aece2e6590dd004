package endpoints_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
)

// FuzzApply sends random apply patches: never a 5xx, never a half-applied object.
// Each input is applied for real and must leave a valid ConfigMap (or nothing).
func FuzzApply(f *testing.F) {
	c := newClient(f)
	c.mustCreate("/api/v1/namespaces/t/configmaps", cm("applied", ""))
	for _, s := range []string{
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: b}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\ndata: {a: b}\n",
		"apiVersion: v1\nkind: Secret\nmetadata: {name: applied}\n",
		"apiVersion: v2\nkind: ConfigMap\nmetadata: {name: applied}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\ndata: {a: 1}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied, managedFields: [{manager: x}]}\n",
		"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied}\nbogus: field\n",
		"[]", "null", "", "{", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: applied, namespace: elsewhere}\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, patch []byte, force bool) {
		c.t = t
		path := "/api/v1/namespaces/t/configmaps/applied?fieldManager=fuzz"
		if force {
			path += "&force=true"
		}
		r := c.do("PATCH", path, "application/apply-patch+yaml", "", patch)
		// Upstream answers structured-merge-diff's schema errors with a reasonless
		// 500; any other 5xx is a server failure.
		if r.code >= 500 && !(r.code == 500 && strings.HasPrefix(r.status(t).Message, "failed to create typed patch object")) {
			t.Fatalf("code %d for %q: %s", r.code, patch, r.body)
		}
		if r.code != http.StatusOK && r.code != http.StatusCreated {
			r.status(t)
		}
		g := c.do("GET", "/api/v1/namespaces/t/configmaps/applied", "", "", nil)
		if g.code == http.StatusNotFound {
			return
		}
		var cur corev1.ConfigMap
		if err := json.Unmarshal(g.body, &cur); g.code != 200 || err != nil || cur.Name != "applied" || cur.Namespace != "t" {
			t.Fatalf("stored object invalid after apply: %d %s", g.code, g.body)
		}
	})
}
