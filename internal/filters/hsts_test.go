package filters

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestCheckHSTSDirectives(t *testing.T) {
	tests := []struct {
		name       string
		directives []string
		wantErr    string
	}{
		{"all three", []string{"max-age=31536000", "includeSubDomains", "preload"}, ""},
		{"none", nil, ""},
		{"empty", []string{" "}, "empty value in strict-transport-security-directives"},
		{"unknown", []string{"max-age=1", "nosniff"}, "--strict-transport-security-directives invalid"},
		{"max-age without value", []string{"max-age"}, "--strict-transport-security-directives invalid"},
		{"two equals signs", []string{"max-age=1=2"}, "--strict-transport-security-directives invalid"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckHSTSDirectives(tc.directives)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func TestWithHSTS(t *testing.T) {
	tests := []struct {
		name       string
		directives []string
		preset     string // set by the handler before the filter runs
		want       string
	}{
		{"joined", []string{"max-age=31536000", "includeSubDomains"}, "", "max-age=31536000; includeSubDomains"},
		{"none", nil, "", ""},
		{"already set", []string{"max-age=1"}, "max-age=2", "max-age=2"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := WithHSTS(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), tc.directives)
			w := httptest.NewRecorder()
			if tc.preset != "" {
				w.Header().Set("Strict-Transport-Security", tc.preset)
			}
			h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/", nil))
			if got := w.Header().Get("Strict-Transport-Security"); got != tc.want {
				t.Errorf("header %q, want %q", got, tc.want)
			}
		})
	}
}
