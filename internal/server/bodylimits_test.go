package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/server"
)

// TestBodyLimits sends oversized requests through the whole server: bodies over
// upstream's 3 MiB and JSON patches over 10000 operations get its 413 Status.
func TestBodyLimits(t *testing.T) {
	r := runServer(t, func(c *server.Config) { c.Controllers = []string{} })
	const cms = "/api/v1/namespaces/default/configmaps"
	if code, body, _ := r.do(t, "POST", cms, `{"metadata":{"name":"target"}}`); code != http.StatusCreated {
		t.Fatalf("create = %d %s", code, body)
	}
	const limit = 3 << 20
	// pad pads a JSON object with spaces to exactly n bytes.
	pad := func(obj string, n int) string { return obj[:len(obj)-1] + strings.Repeat(" ", n-len(obj)) + "}" }
	ops := func(n int) string {
		op := `{"op":"test","path":"/metadata/name","value":"target"}`
		return "[" + strings.TrimSuffix(strings.Repeat(op+",", n), ",") + "]"
	}
	tests := []struct {
		name, method, path, contentType, body string
		wantCode                              int
		wantMessage                           string
	}{
		{"create at the limit", "POST", cms, "application/json", pad(`{"metadata":{"name":"at-limit"}}`, limit), http.StatusCreated, ""},
		{"create over the limit", "POST", cms, "application/json", pad(`{"metadata":{"name":"over"}}`, limit+1),
			http.StatusRequestEntityTooLarge, "Request entity too large: limit is 3145728"},
		{"update over the limit", "PUT", cms + "/target", "application/json", pad(`{"metadata":{"name":"target"}}`, limit+1),
			http.StatusRequestEntityTooLarge, "Request entity too large: limit is 3145728"},
		{"merge patch over the limit", "PATCH", cms + "/target", "application/merge-patch+json", pad(`{"data":{}}`, limit+1),
			http.StatusRequestEntityTooLarge, "Request entity too large: limit is 3145728"},
		{"JSON patch of 10000 operations", "PATCH", cms + "/target", "application/json-patch+json", ops(10000), http.StatusOK, ""},
		{"JSON patch of 10001 operations", "PATCH", cms + "/target", "application/json-patch+json", ops(10001),
			http.StatusRequestEntityTooLarge, "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, r.url+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			resp, err := r.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var st metav1.Status
			_ = json.NewDecoder(resp.Body).Decode(&st)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("code = %d (%s), want %d", resp.StatusCode, st.Message, tc.wantCode)
			}
			if tc.wantMessage == "" {
				return
			}
			if st.Kind != "Status" || st.Reason != metav1.StatusReasonRequestEntityTooLarge || st.Message != tc.wantMessage {
				t.Errorf("got %s %s %q, want Status %s %q", st.Kind, st.Reason, st.Message,
					metav1.StatusReasonRequestEntityTooLarge, tc.wantMessage)
			}
		})
	}
}
