package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestZpages: /statusz and /flagz answer plain text unless their structured form
// is asked for by kind, group and version, as upstream's.
func TestZpages(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) {
		c.Flagz = func() map[string]string { return map[string]string{"secure-port": "6443", "v": "2"} }
	})
	const warning = "Warning: This endpoint is not meant to be machine parseable, has no formatting compatibility guarantees and is for debugging purposes only.\n"
	delim := `(:|: |=| )`
	tests := []struct {
		name, path, accept string
		client             *http.Client
		wantCode           int
		wantType           string
		wantWarning        bool
		// wantBody matches the body; wantJSON are fields of a JSON body.
		wantBody *regexp.Regexp
		wantJSON map[string]any
	}{
		{name: "statusz text", path: "/statusz", wantCode: 200, wantType: "text/plain; charset=utf-8",
			wantBody: regexp.MustCompile(`^\napiserver statusz\n` + regexp.QuoteMeta(warning) + `\nStarted` + delim + ` .+\nUp` + delim +
				` \d+ hr \d\d min \d\d sec\nGo version` + delim + ` go.+\nBinary version` + delim + ` 1\.37\.2\nEmulation version` + delim +
				` 1\.37\nPaths` + delim + ` /flagz /healthz /livez /metrics /readyz /version\n$`)},
		{name: "statusz for kubectl get --raw", path: "/statusz", accept: "application/json, */*", wantCode: 200, wantType: "text/plain; charset=utf-8",
			wantBody: regexp.MustCompile(`^\napiserver statusz\n`)},
		{name: "statusz v1beta1 JSON", path: "/statusz", accept: "application/json;g=config.k8s.io;v=v1beta1;as=Statusz", wantCode: 200,
			wantType: "application/json;g=config.k8s.io;v=v1beta1;as=Statusz",
			wantJSON: map[string]any{"kind": "Statusz", "apiVersion": "config.k8s.io/v1beta1", "binaryVersion": "1.37.2", "emulationVersion": "1.37",
				"metadata": map[string]any{"name": "apiserver"}, "paths": []any{"/flagz", "/healthz", "/livez", "/metrics", "/readyz", "/version"}}},
		{name: "statusz v1alpha1 is deprecated", path: "/statusz", accept: "application/json;g=config.k8s.io;v=v1alpha1;as=Statusz", wantCode: 200,
			wantType: "application/json;g=config.k8s.io;v=v1alpha1;as=Statusz", wantWarning: true,
			wantJSON: map[string]any{"kind": "Statusz", "apiVersion": "config.k8s.io/v1alpha1"}},
		{name: "statusz YAML", path: "/statusz", accept: "application/yaml;g=config.k8s.io;v=v1beta1;as=Statusz", wantCode: 200,
			wantType: "application/yaml;g=config.k8s.io;v=v1beta1;as=Statusz", wantBody: regexp.MustCompile(`(?m)^kind: Statusz$`)},
		{name: "plain JSON is not acceptable", path: "/statusz", accept: "application/json", wantCode: 406, wantType: "application/json",
			wantJSON: map[string]any{"kind": "Status", "reason": "NotAcceptable",
				"message": "only the following media types are accepted: application/json, application/yaml, text/plain"}},
		{name: "another kind is not acceptable", path: "/statusz", accept: "application/json;g=config.k8s.io;v=v1beta1;as=Flagz", wantCode: 406,
			wantType: "application/json", wantJSON: map[string]any{"reason": "NotAcceptable"}},
		{name: "flagz text", path: "/flagz", wantCode: 200, wantType: "text/plain; charset=utf-8",
			wantBody: regexp.MustCompile(`^\napiserver flagz\n` + regexp.QuoteMeta(warning) + `secure-port` + delim + `6443\nv` + delim + `2\n$`)},
		{name: "flagz v1beta1 JSON", path: "/flagz", accept: "application/json;g=config.k8s.io;v=v1beta1;as=Flagz", wantCode: 200,
			wantType: "application/json;g=config.k8s.io;v=v1beta1;as=Flagz",
			wantJSON: map[string]any{"kind": "Flagz", "apiVersion": "config.k8s.io/v1beta1", "flags": map[string]any{"secure-port": "6443", "v": "2"}}},
		{name: "anonymous", path: "/statusz", client: in.AnonymousClient(t), wantCode: 403, wantType: "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := tc.client
			if client == nil {
				client = in.HTTPClient(t)
			}
			req, err := http.NewRequest(http.MethodGet, in.URL+tc.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tc.accept != "" {
				req.Header.Set("Accept", tc.accept)
			}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tc.wantCode || resp.Header.Get("Content-Type") != tc.wantType {
				t.Fatalf("%d %s, want %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), tc.wantCode, tc.wantType, body)
			}
			if got := strings.Contains(resp.Header.Get("Warning"), "deprecated"); got != tc.wantWarning {
				t.Errorf("Warning %q, want a deprecation warning: %v", resp.Header.Get("Warning"), tc.wantWarning)
			}
			if tc.wantBody != nil && !tc.wantBody.Match(body) {
				t.Errorf("body %q does not match %s", body, tc.wantBody)
			}
			if tc.wantJSON != nil {
				var got map[string]any
				if err := json.Unmarshal(body, &got); err != nil {
					t.Fatal(err)
				}
				for k, want := range tc.wantJSON {
					if g, _ := json.Marshal(got[k]); string(g) != mustJSON(t, want) {
						t.Errorf("%s = %s, want %s", k, g, mustJSON(t, want))
					}
				}
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
