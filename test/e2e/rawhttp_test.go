package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
)

// TestRawHTTP checks status codes, Status bodies and headers for requests client-go
// would never send, with the admin identity, no identity and a bad token.
func TestRawHTTP(t *testing.T) {
	ns := testNamespace(t, "e2e-raw")
	admin := shared.restConfig(t)
	anon := rest.AnonymousClientConfig(admin)
	badToken := rest.AnonymousClientConfig(admin)
	badToken.BearerToken = "not-a-real-token"
	clients := map[string]*http.Client{}
	for name, cfg := range map[string]*rest.Config{"admin": admin, "anonymous": anon, "bad token": badToken} {
		hc, err := rest.HTTPClientFor(cfg)
		if err != nil {
			t.Fatal(err)
		}
		clients[name] = hc
	}
	cmPath := "/api/v1/namespaces/" + ns + "/configmaps"
	big := `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"big"},"data":{"k":"` + strings.Repeat("x", 3<<20+1024) + `"}}`

	tests := []struct {
		name       string
		client     string
		method     string
		path       string
		header     map[string]string
		body       string
		wantCode   int
		wantReason metav1.StatusReason // "" when the body is not a Status
		wantInBody string
	}{
		{name: "admin get namespace", client: "admin", method: "GET", path: "/api/v1/namespaces/" + ns, wantCode: 200, wantInBody: `"kind":"Namespace"`},
		{name: "malformed JSON", client: "admin", method: "POST", path: cmPath, header: map[string]string{"Content-Type": "application/json"},
			body: `{"apiVersion":"v1","kind":"ConfigMap",`, wantCode: 400, wantReason: metav1.StatusReasonBadRequest},
		{name: "unsupported content type", client: "admin", method: "POST", path: cmPath, header: map[string]string{"Content-Type": "text/plain"},
			body: "name=x", wantCode: 415, wantReason: metav1.StatusReasonUnsupportedMediaType},
		{name: "unsupported accept", client: "admin", method: "GET", path: cmPath, header: map[string]string{"Accept": "application/xml"},
			wantCode: 406, wantReason: metav1.StatusReasonNotAcceptable},
		{name: "body over 3MiB", client: "admin", method: "POST", path: cmPath, header: map[string]string{"Content-Type": "application/json"},
			body: big, wantCode: 413, wantReason: metav1.StatusReasonRequestEntityTooLarge},
		{name: "unknown resource", client: "admin", method: "GET", path: "/api/v1/namespaces/" + ns + "/widgets", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		// Nothing serves the group: upstream's last handler answers in plain text.
		{name: "unknown group", client: "admin", method: "GET", path: "/apis/widgets.example.com/v1/widgets", wantCode: 404, wantInBody: "404 page not found"},
		{name: "unknown resource", client: "admin", method: "GET", path: "/apis/apps/v1/widgets", wantCode: 404, wantReason: metav1.StatusReasonNotFound},
		{name: "POST to a named object", client: "admin", method: "POST", path: cmPath + "/named", header: map[string]string{"Content-Type": "application/json"},
			body: `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"named"}}`, wantCode: 405, wantReason: metav1.StatusReasonMethodNotAllowed},
		{name: "anonymous list pods", client: "anonymous", method: "GET", path: "/api/v1/pods", wantCode: 403, wantReason: metav1.StatusReasonForbidden,
			wantInBody: `User \"system:anonymous\" cannot list resource \"pods\" in API group \"\" at the cluster scope`},
		{name: "anonymous healthz", client: "anonymous", method: "GET", path: "/healthz", wantCode: 200, wantInBody: "ok"},
		{name: "anonymous version", client: "anonymous", method: "GET", path: "/version", wantCode: 200, wantInBody: `"gitVersion"`},
		{name: "invalid bearer token", client: "bad token", method: "GET", path: "/api/v1/namespaces", wantCode: 401, wantReason: metav1.StatusReasonUnauthorized},
		{name: "metadata-only list", client: "admin", method: "GET", path: "/api/v1/namespaces",
			header: map[string]string{"Accept": "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"}, wantCode: 200,
			wantInBody: `"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1"`},
		{name: "table list", client: "admin", method: "GET", path: "/api/v1/namespaces",
			header: map[string]string{"Accept": "application/json;as=Table;g=meta.k8s.io;v=v1"}, wantCode: 200,
			wantInBody: `"kind":"Table","apiVersion":"meta.k8s.io/v1"`},
		{name: "client Audit-ID is echoed", client: "admin", method: "GET", path: "/api/v1/namespaces/default", header: map[string]string{"Audit-ID": "e2e-fixed-audit-id"}, wantCode: 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var body io.Reader
			if tc.body != "" {
				body = bytes.NewBufferString(tc.body)
			}
			req, err := http.NewRequestWithContext(ctx(t, 30*time.Second), tc.method, shared.host+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			resp, err := clients[tc.client].Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Errorf("code %d, want %d; body %.300s", resp.StatusCode, tc.wantCode, b)
			}
			auditID := resp.Header.Get("Audit-ID")
			if auditID == "" {
				t.Errorf("no Audit-ID header in %v", resp.Header)
			}
			if want := tc.header["Audit-ID"]; want != "" && auditID != want {
				t.Errorf("Audit-ID %q, want the client's %q", auditID, want)
			}
			if tc.wantReason != "" {
				var st metav1.Status
				if err := json.Unmarshal(b, &st); err != nil || st.Kind != "Status" {
					t.Fatalf("body is not a Status (%v): %.300s", err, b)
				}
				if st.Reason != tc.wantReason || int(st.Code) != tc.wantCode || st.Status != metav1.StatusFailure {
					t.Errorf("status reason=%q code=%d status=%q, want %q %d Failure", st.Reason, st.Code, st.Status, tc.wantReason, tc.wantCode)
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
					t.Errorf("Content-Type %q, want application/json", ct)
				}
			}
			if tc.wantInBody != "" && !strings.Contains(string(b), tc.wantInBody) {
				t.Errorf("body lacks %q: %.300s", tc.wantInBody, b)
			}
		})
	}
}
