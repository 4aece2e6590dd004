package aggregator

import (
	"net/http"
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestSetIdentity(t *testing.T) {
	headers := Headers{Strip: []string{"X-Custom-User"}, StripPrefixes: []string{"X-Custom-Extra-"}}.withDefaults()
	cases := []struct {
		name string
		in   http.Header
		user request.User
		want http.Header
	}{
		{name: "user and groups", in: http.Header{"Accept": {"application/json"}},
			user: request.User{Name: "alice", Groups: []string{"dev", "system:authenticated"}},
			want: http.Header{"Accept": {"application/json"}, "X-Remote-User": {"alice"}, "X-Remote-Group": {"dev", "system:authenticated"}}},
		{name: "uid and escaped extra keys", in: http.Header{},
			user: request.User{Name: "bob", UID: "42", Extra: map[string][]string{"example.com/scopes": {"a", "b"}, "100%": {"x"}}},
			want: http.Header{"X-Remote-User": {"bob"}, "X-Remote-Uid": {"42"},
				"X-Remote-Extra-Example.com%2fscopes": {"a", "b"}, "X-Remote-Extra-100%25": {"x"}}},
		{name: "caller's identity headers are dropped", in: http.Header{
			"X-Remote-User": {"mallory"}, "X-Remote-Group": {"system:masters"}, "X-Remote-Extra-Scopes": {"all"},
			"X-Custom-User": {"mallory"}, "X-Custom-Extra-Foo": {"1"}, "X-Remote-Uid": {"0"}},
			user: request.User{Name: "carol"},
			want: http.Header{"X-Remote-User": {"carol"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.in.Clone()
			headers.setIdentity(h, &tc.user)
			for k := range h {
				if _, ok := tc.want[k]; !ok {
					t.Errorf("unexpected header %s: %q", k, h[k])
				}
			}
			for k, v := range tc.want {
				got := h.Values(k)
				slices.Sort(got)
				v = slices.Sorted(slices.Values(v))
				if !slices.Equal(got, v) {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestGroupVersionOf(t *testing.T) {
	cases := []struct {
		path string
		want schema.GroupVersion
		ok   bool
	}{
		{"/apis/wardle.example.com/v1alpha1", schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}, true},
		{"/apis/wardle.example.com/v1alpha1/namespaces/a/flunders", schema.GroupVersion{Group: "wardle.example.com", Version: "v1alpha1"}, true},
		{"/apis/wardle.example.com", schema.GroupVersion{}, false},
		{"/apis/wardle.example.com/", schema.GroupVersion{}, false},
		{"/apis", schema.GroupVersion{}, false},
		{"/api/v1/pods", schema.GroupVersion{}, false},
		{"/apis//v1", schema.GroupVersion{}, false},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got, ok := groupVersionOf(tc.path)
			if got != tc.want || ok != tc.ok {
				t.Errorf("groupVersionOf(%q) = %v, %v; want %v, %v", tc.path, got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzGroupVersionOf feeds request paths (untrusted) to the router.
func FuzzGroupVersionOf(f *testing.F) {
	for _, s := range []string{"/apis/a/b", "/apis/a/b/c/d", "/apis//", "/apis/", "", "/apis/a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		gv, ok := groupVersionOf(path)
		if ok && (gv.Group == "" || gv.Version == "") {
			t.Errorf("%q: empty group or version accepted: %v", path, gv)
		}
	})
}

// FuzzEscapeExtraKey checks escaped extra keys are valid header names.
func FuzzEscapeExtraKey(f *testing.F) {
	for _, s := range []string{"example.com/scopes", "100%", "a b", "ü", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		for _, c := range []byte(escapeExtraKey(key)) {
			if !isTokenChar(c) {
				t.Errorf("%q escapes to a header name with %q", key, c)
			}
		}
	})
}
