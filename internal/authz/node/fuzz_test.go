package node

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"

	"k8s.io/apimachinery/pkg/fields"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// FuzzSelectsNode: any selector text and node name, without a panic; a selector
// selects the node only when it parses and requires exactly that value.
func FuzzSelectsNode(f *testing.F) {
	for _, s := range []string{"spec.nodeName=n1", "spec.nodeName==n1", "spec.nodeName!=n1", "metadata.name=x,spec.nodeName=n1", "spec.nodeName=n1\\,n2", "=", ",,", "spec.nodeName"} {
		f.Add(s, "n1")
	}
	f.Fuzz(func(t *testing.T, raw, node string) {
		if !selectsNode(raw, "spec.nodeName", node) {
			return
		}
		sel, err := fields.ParseSelector(raw)
		if err != nil {
			t.Fatalf("selected by an unparsable selector %q", raw)
		}
		if v, ok := sel.RequiresExactMatch("spec.nodeName"); !ok || v != node {
			// A selector may also require other fields; it must still pin spec.nodeName.
			found := false
			for _, r := range sel.Requirements() {
				found = found || (r.Field == "spec.nodeName" && r.Value == node)
			}
			if !found {
				t.Fatalf("%q selected node %q without requiring it", raw, node)
			}
		}
	})
}

// FuzzAuthorizeRequest: any request of a node, without stores, never panics and never
// reaches a secret or configmap.
func FuzzAuthorizeRequest(f *testing.F) {
	for _, s := range []struct{ method, path, query string }{
		{"GET", "/api/v1/namespaces/ns/secrets/s", ""},
		{"GET", "/api/v1/namespaces/ns/configmaps", "fieldSelector=metadata.name%3Dcm"},
		{"GET", "/api/v1/pods", "fieldSelector=spec.nodeName%3Dn1"},
		{"POST", "/api/v1/namespaces/ns/serviceaccounts/sa/token", ""},
		{"DELETE", "/apis/resource.k8s.io/v1/resourceslices", "fieldSelector=spec.nodeName%3Dn1"},
		{"PATCH", "/api/v1/namespaces/ns/persistentvolumeclaims/c/status", ""},
	} {
		f.Add(s.method, s.path, s.query)
	}
	a := New(nil)
	u := &request.User{Name: "system:node:n1", Groups: []string{NodesGroup}}
	f.Fuzz(func(t *testing.T, method, path, query string) {
		if path == "" || path[0] != '/' {
			path = "/" + path
		}
		r := httptest.NewRequest("GET", "/", nil)
		r.Method = method
		r.URL = &url.URL{Path: path, RawQuery: query}
		info := request.ParseInfo(r)
		d, _, _ := a.Authorize(context.Background(), authz.Attributes{User: u, Info: info})
		if d == authz.Allow && info.IsResourceRequest && info.APIGroup == "" && (info.Resource == "secrets" || info.Resource == "configmaps") {
			t.Fatalf("%s %s?%s allowed without any relationship", method, path, query)
		}
	})
}
