package discovery

import (
	"bytes"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestNegotiation(t *testing.T) {
	h := newTestHandler()
	tests := []struct {
		name, path, accept string
		wantCode           int
		wantType           string
		// wantKind is the kind the body declares ("" for protobuf).
		wantKind string
	}{
		{name: "no accept gives plain JSON", path: "/api", wantCode: 200, wantType: "application/json", wantKind: "APIVersions"},
		{name: "kubectl v1.32 gets aggregated v2 for /api", path: "/api", accept: kubectlAccept,
			wantCode: 200, wantType: aggregatedAccept, wantKind: "APIGroupDiscoveryList"},
		{name: "kubectl v1.32 gets aggregated v2 for /apis", path: "/apis", accept: kubectlAccept,
			wantCode: 200, wantType: aggregatedAccept, wantKind: "APIGroupDiscoveryList"},
		{name: "v2beta1 is removed, falls back to plain", path: "/apis",
			accept:   "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json",
			wantCode: 200, wantType: "application/json", wantKind: "APIGroupList"},
		{name: "v2beta1 alone is not acceptable", path: "/apis",
			accept: "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList", wantCode: 406, wantType: "application/json", wantKind: "Status"},
		{name: "higher q wins", path: "/apis", accept: "application/json;q=0.9," + aggregatedAccept,
			wantCode: 200, wantType: aggregatedAccept, wantKind: "APIGroupDiscoveryList"},
		{name: "aggregated is only for the roots", path: "/apis/apps/v1", accept: aggregatedAccept, wantCode: 406, wantType: "application/json", wantKind: "Status"},
		{name: "table conversion is not offered", path: "/api/v1", accept: "application/json;as=Table;v=v1;g=meta.k8s.io", wantCode: 406, wantType: "application/json", wantKind: "Status"},
		{name: "wildcard gives JSON", path: "/apis/apps", accept: "*/*", wantCode: 200, wantType: "application/json", wantKind: "APIGroup"},
		{name: "yaml", path: "/apis/apps/v1", accept: "application/yaml", wantCode: 200, wantType: "application/yaml", wantKind: "APIResourceList"},
		{name: "protobuf", path: "/apis/apps/v1", accept: "application/vnd.kubernetes.protobuf", wantCode: 200, wantType: "application/vnd.kubernetes.protobuf"},
		{name: "aggregated protobuf", path: "/apis", accept: "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
			wantCode: 200, wantType: "application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"},
		{name: "unsupported type", path: "/api", accept: "text/html", wantCode: 406, wantType: "application/json", wantKind: "Status"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := get(t, h, tc.path, tc.accept)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); ct != tc.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tc.wantType)
			}
			body := rec.Body.Bytes()
			if strings.HasPrefix(tc.wantType, "application/vnd.kubernetes.protobuf") {
				if !bytes.HasPrefix(body, []byte("k8s\x00")) {
					t.Errorf("protobuf body lacks the k8s envelope: %q", body)
				}
				return
			}
			var meta metav1.TypeMeta
			if err := yaml.Unmarshal(body, &meta); err != nil {
				t.Fatalf("decoding %q: %v", body, err)
			}
			if meta.Kind != tc.wantKind {
				t.Errorf("kind %q, want %q", meta.Kind, tc.wantKind)
			}
		})
	}
}

func TestAggregatedETag(t *testing.T) {
	h := newTestHandler()
	first := get(t, h, "/apis", aggregatedAccept)
	etag := first.Header().Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' {
		t.Fatalf("ETag %q is not a quoted hash", etag)
	}
	legacyETag := get(t, h, "/api", aggregatedAccept).Header().Get("ETag")
	tests := []struct {
		name, path, ifNoneMatch string
		wantCode                int
	}{
		{name: "matching ETag is not modified", path: "/apis", ifNoneMatch: etag, wantCode: http.StatusNotModified},
		{name: "stale ETag gets the document", path: "/apis", ifNoneMatch: `"0123"`, wantCode: http.StatusOK},
		{name: "no If-None-Match gets the document", path: "/apis", wantCode: http.StatusOK},
		{name: "ETag of /apis does not match /api", path: "/api", ifNoneMatch: etag, wantCode: http.StatusOK},
		{name: "ETag of /api matches /api", path: "/api", ifNoneMatch: legacyETag, wantCode: http.StatusNotModified},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, tc.path, nil)
			req.Header.Set("Accept", kubectlAccept)
			if tc.ifNoneMatch != "" {
				req.Header.Set("If-None-Match", tc.ifNoneMatch)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantCode == http.StatusNotModified && rec.Body.Len() != 0 {
				t.Errorf("304 with a body: %q", rec.Body)
			}
			if rec.Header().Get("Vary") != "Accept" {
				t.Errorf("Vary %q, want Accept", rec.Header().Get("Vary"))
			}
		})
	}
	t.Run("ETag changes with the resources", func(t *testing.T) {
		h.Set(testResources()[:4])
		if got := get(t, h, "/apis", aggregatedAccept).Header().Get("ETag"); got == etag {
			t.Errorf("ETag %s unchanged after the resources changed", got)
		}
	})
}

func TestErrors(t *testing.T) {
	h := newTestHandler()
	tests := []struct {
		name, method, path string
		wantCode           int
		wantReason         metav1.StatusReason
	}{
		{name: "unknown group", method: http.MethodGet, path: "/apis/nope.example.com", wantCode: 404},
		{name: "unknown group version", method: http.MethodGet, path: "/apis/nope.example.com/v1", wantCode: 404},
		{name: "unknown version", method: http.MethodGet, path: "/apis/apps/v2", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{name: "unknown core version", method: http.MethodGet, path: "/api/v2", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{name: "a resource path is not discovery", method: http.MethodGet, path: "/apis/apps/v1/deployments", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{name: "empty group", method: http.MethodGet, path: "/apis//v1", wantCode: 404},
		{name: "root", method: http.MethodGet, path: "/", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{name: "write to discovery", method: http.MethodPost, path: "/apis", wantCode: 405, wantReason: metav1.StatusReasonMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("status %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantReason == "" {
				// A group nothing serves: upstream's last handler answers in plain text.
				if body := rec.Body.String(); body != "404 page not found\n" || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
					t.Errorf("body %q (%s), want upstream's plain 404", body, rec.Header().Get("Content-Type"))
				}
				return
			}
			got := decode(t, rec.Body.Bytes())
			want := map[string]any{"kind": "Status", "apiVersion": "v1", "metadata": map[string]any{}, "status": "Failure",
				"reason": string(tc.wantReason), "code": float64(tc.wantCode), "details": map[string]any{}, "message": got["message"]}
			if tc.wantCode == 404 {
				want["message"] = "the server could not find the requested resource"
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestEmptyRegistry(t *testing.T) {
	h := New(nil, nil)
	tests := []struct {
		name, path, accept, want string
	}{
		{name: "api lists no versions", path: "/api", want: `{"kind":"APIVersions","versions":[],"serverAddressByClientCIDRs":[{"clientCIDR":"0.0.0.0/0","serverAddress":"example.com"}]}`},
		{name: "apis lists no groups", path: "/apis", want: `{"kind":"APIGroupList","apiVersion":"v1","groups":[]}`},
		{name: "aggregated apis has no items", path: "/apis", accept: aggregatedAccept, want: `{"kind":"APIGroupDiscoveryList","apiVersion":"apidiscovery.k8s.io/v2","metadata":{},"items":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := strings.TrimSpace(get(t, h, tc.path, tc.accept).Body.String()); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestGolden(t *testing.T) {
	h := newTestHandler()
	tests := []struct {
		name, path, accept, file string
	}{
		{name: "aggregated apis", path: "/apis?pretty=true", accept: kubectlAccept, file: "aggregated_apis.json"},
		{name: "core v1", path: "/api/v1?pretty=true", file: "api_v1.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := get(t, h, tc.path, tc.accept).Body.Bytes()
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("reading golden file (run with -update to create): %v", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("differs from %s (-want +got):\n%s", path, diff)
			}
		})
	}
}

// BenchmarkAggregated measures serving the cached aggregated document, the request
// every kubectl invocation makes.
func BenchmarkAggregated(b *testing.B) {
	h := New(testResources(), nil)
	req := httptest.NewRequest(http.MethodGet, "/apis", nil)
	req.Header.Set("Accept", kubectlAccept)
	for b.Loop() {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
}
