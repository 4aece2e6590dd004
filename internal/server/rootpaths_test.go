package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestRootPaths: GET / and /index.html list the served paths, sorted, as
// upstream's index does, custom resources' groups included once served; / needs
// authorization like any non-resource path, and other unknown paths stay 404.
func TestRootPaths(t *testing.T) {
	in := servertest.Start(t)
	get := func(client *http.Client, path string) (int, string, string) {
		t.Helper()
		return fetch(t, client, in.URL+path)
	}
	paths := func(path string) []string {
		t.Helper()
		code, contentType, body := get(in.HTTPClient(t), path)
		if code != http.StatusOK || contentType != "application/json" {
			t.Fatalf("GET %s: %d %s %.200q", path, code, contentType, body)
		}
		var root struct {
			Paths []string `json:"paths"`
		}
		if err := json.Unmarshal([]byte(body), &root); err != nil {
			t.Fatal(err)
		}
		return root.Paths
	}

	t.Run("listed paths", func(t *testing.T) {
		got := paths("/")
		if !slices.IsSorted(got) || len(slices.Compact(slices.Clone(got))) != len(got) {
			t.Errorf("paths not sorted and unique: %q", got)
		}
		for _, want := range []string{"/.well-known/openid-configuration", "/api", "/api/v1", "/apis", "/apis/", "/apis/apps", "/apis/apps/v1",
			"/apis/autoscaling/v2", "/healthz", "/healthz/etcd", "/livez/ping", "/metrics", "/openapi/v2", "/openapi/v3/", "/openid/v1/jwks",
			"/readyz/shutdown", "/readyz/poststarthook/rbac/bootstrap-roles", "/version", "/flagz", "/statusz", "/metrics/slis", "/readyz/etcd-readiness"} {
			if !slices.Contains(got, want) {
				t.Errorf("%s is not listed", want)
			}
		}
		for _, unlisted := range []string{"/", "/index.html", "/debug/pprof/", "/healthz/"} {
			if slices.Contains(got, unlisted) {
				t.Errorf("%s is listed", unlisted)
			}
		}
		if index := paths("/index.html"); !slices.Equal(index, got) {
			t.Errorf("/index.html lists %q, want what / lists", index)
		}
	})

	t.Run("authorization and unknown paths", func(t *testing.T) {
		tests := []struct {
			name     string
			client   *http.Client
			path     string
			wantCode int
			wantBody string // the start of the body, when set
		}{
			{"anonymous", in.AnonymousClient(t), "/", http.StatusForbidden, ""},
			{"unknown path", in.HTTPClient(t), "/nope", http.StatusNotFound, ""},
			{"below index.html", in.HTTPClient(t), "/index.html/x", http.StatusNotFound, ""},
			// Nothing serves the group: upstream's last handler, in plain text.
			{"resource of an unknown group", in.HTTPClient(t), "/apis/nope.example.com/v1/namespaces/default/things", http.StatusNotFound, "404 page not found\n"},
			{"unknown resource of a served group", in.HTTPClient(t), "/apis/apps/v1/things", http.StatusNotFound, `{"kind":"Status"`},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				if code, _, body := get(tc.client, tc.path); code != tc.wantCode || !strings.HasPrefix(string(body), tc.wantBody) {
					t.Errorf("GET %s: %d %.200q, want %d %q", tc.path, code, body, tc.wantCode, tc.wantBody)
				}
			})
		}
	})

	t.Run("custom resource groups", func(t *testing.T) {
		crd := `{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.example.com"},
			"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},
			"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object"}}}]}}`
		resp, err := in.HTTPClient(t).Post(in.URL+"/apis/apiextensions.k8s.io/v1/customresourcedefinitions", "application/json", strings.NewReader(crd))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("creating the CRD: %d", resp.StatusCode)
		}
		deadline := time.Now().Add(30 * time.Second)
		for {
			got := paths("/")
			if slices.Contains(got, "/apis/example.com") && slices.Contains(got, "/apis/example.com/v1") {
				if code, _, body := get(in.HTTPClient(t), "/apis/example.com/v1/namespaces/default/widgets"); code != http.StatusOK {
					t.Errorf("listing the custom resources: %d %.200q", code, body)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("the CRD's group is not listed: %q", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
}

// fetch GETs url and returns the status code, Content-Type and body.
func fetch(t *testing.T, client *http.Client, url string) (int, string, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(body)
}
