package request

import (
	"net/http/httptest"
	"testing"
)

// TestParseInfoSelectors checks that the raw selectors reach authorizers only for the
// verbs upstream carries them for, and never for /watch/ path requests.
func TestParseInfoSelectors(t *testing.T) {
	tests := []struct {
		name, method, url string
		field, label      string
	}{
		{name: "list", method: "GET", url: "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&labelSelector=app%3Dweb", field: "spec.nodeName=n1", label: "app=web"},
		{name: "watch by query", method: "GET", url: "/api/v1/pods?watch=true&fieldSelector=spec.nodeName%3Dn1", field: "spec.nodeName=n1"},
		{name: "deletecollection", method: "DELETE", url: "/apis/resource.k8s.io/v1/resourceslices?fieldSelector=spec.nodeName%3Dn1", field: "spec.nodeName=n1"},
		{name: "watch path prefix carries none", method: "GET", url: "/api/v1/watch/pods?fieldSelector=spec.nodeName%3Dn1"},
		{name: "get carries none", method: "GET", url: "/api/v1/namespaces/ns/pods/p?fieldSelector=spec.nodeName%3Dn1"},
		{name: "create carries none", method: "POST", url: "/api/v1/namespaces/ns/pods?fieldSelector=spec.nodeName%3Dn1"},
		{name: "unparsable selector is kept raw", method: "GET", url: "/api/v1/pods?fieldSelector=%3D%3D%3D", field: "==="},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ParseInfo(httptest.NewRequest(tc.method, tc.url, nil))
			if got.FieldSelector != tc.field || got.LabelSelector != tc.label {
				t.Errorf("ParseInfo(%s %s) fieldSelector=%q labelSelector=%q, want %q %q", tc.method, tc.url, got.FieldSelector, got.LabelSelector, tc.field, tc.label)
			}
		})
	}
}
