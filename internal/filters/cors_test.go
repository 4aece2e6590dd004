package filters

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCORSOrigins(t *testing.T) {
	tests := []struct {
		name     string
		patterns []string
		wantErr  string
	}{
		{"anchored both ways", []string{`//example\.com(:|$)`, `^https://example\.org$`}, ""},
		{"unanchored start", []string{`example\.com$`}, "does not pin to start/end of host"},
		{"unanchored end", []string{`^example\.com`}, "does not pin to start/end of host"},
		{"empty", []string{""}, "empty value in --cors-allowed-origins"},
		{"not a regexp", []string{`^(https://$`}, "--cors-allowed-origins has an invalid regular expression: error parsing regexp"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := CORSOrigins(tc.patterns)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestWithCORS(t *testing.T) {
	origins, err := CORSOrigins([]string{`//good\.example(:|$)`})
	if err != nil {
		t.Fatal(err)
	}
	inner := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusTeapot) })
	h := WithCORS(inner, origins)
	tests := []struct {
		name, method, origin string
		wantCode             int
		wantHeaders          bool
	}{
		{"allowed origin", http.MethodGet, "https://good.example", http.StatusTeapot, true},
		{"allowed preflight stops here", http.MethodOptions, "https://good.example:8443", http.StatusNoContent, true},
		{"other origin", http.MethodGet, "https://good.example.evil.org", http.StatusTeapot, false},
		{"other origin's preflight goes on", http.MethodOptions, "https://evil.org", http.StatusTeapot, false},
		{"no origin", http.MethodGet, "", http.StatusTeapot, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/api", nil)
			if tc.origin != "" {
				r.Header.Set("Origin", tc.origin)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != tc.wantCode {
				t.Errorf("code %d, want %d", w.Code, tc.wantCode)
			}
			got := w.Header().Get("Access-Control-Allow-Origin")
			if tc.wantHeaders && (got != tc.origin || w.Header().Get("Access-Control-Allow-Credentials") != "true" ||
				w.Header().Get("Access-Control-Allow-Methods") != corsAllowMethods) || !tc.wantHeaders && got != "" {
				t.Errorf("headers %v", w.Header())
			}
		})
	}
}
