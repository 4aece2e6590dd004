package webhook

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

// tokenReviewServer answers TokenReviews on loopback TLS: "alice-token" is alice,
// "denied" is not authenticated, "denied-with-error" carries an error, "broken"
// gets a 500, "teapot" a 418 and "vault-token" is valid only for audience vault.
// It counts calls and keeps the last review.
type tokenReviewServer struct {
	kubeconfig string
	calls      atomic.Int32
	mu         sync.Mutex
	last       map[string]any
	header     http.Header
}

func newTokenReviewServer(t *testing.T) *tokenReviewServer {
	s := &tokenReviewServer{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.calls.Add(1)
		var review map[string]any
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		s.last, s.header = review, r.Header.Clone()
		s.mu.Unlock()
		spec, _ := review["spec"].(map[string]any)
		var status map[string]any
		switch spec["token"] {
		case "alice-token":
			status = map[string]any{"authenticated": true, "user": map[string]any{"username": "alice", "uid": "a-1",
				"groups": []string{"devs"}, "extra": map[string][]string{"scopes": {"read"}}}}
		case "vault-token":
			status = map[string]any{"authenticated": true, "user": map[string]any{"username": "vault-user"}, "audiences": []string{"vault"}}
		case "denied":
			status = map[string]any{"authenticated": false}
		case "denied-with-error":
			status = map[string]any{"authenticated": false, "error": "token revoked"}
		case "broken":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		case "leaky-token":
			http.Error(w, "cannot review leaky-token", http.StatusBadRequest)
			return
		case "teapot":
			http.Error(w, "no", http.StatusTeapot)
			return
		default:
			status = map[string]any{}
		}
		review["status"] = status
		_ = json.NewEncoder(w).Encode(review)
	}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	s.kubeconfig = filepath.Join(dir, "webhook.kubeconfig")
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: authn
  cluster:
    server: %s/authenticate
    certificate-authority: %s
users:
- name: apiserver
  user:
    token: webhook-secret
contexts:
- name: webhook
  context: {cluster: authn, user: apiserver}
current-context: webhook
`, srv.URL, caFile)
	if err := os.WriteFile(s.kubeconfig, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return s
}

func (s *tokenReviewServer) lastReview() (map[string]any, http.Header) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, s.header
}

func TestWebhookAuthenticator(t *testing.T) {
	srv := newTokenReviewServer(t)
	tests := []struct {
		name      string
		version   string
		token     string
		audiences []string
		want      *request.User
		ok        bool
		errSubstr string
		calls     int32
	}{
		{name: "authenticated", token: "alice-token", calls: 1, ok: true,
			want: &request.User{Name: "alice", UID: "a-1", Groups: []string{"devs"}, Extra: map[string][]string{"scopes": {"read"}}}},
		{name: "authenticated with v1", version: "v1", token: "alice-token", calls: 1, ok: true,
			want: &request.User{Name: "alice", UID: "a-1", Groups: []string{"devs"}, Extra: map[string][]string{"scopes": {"read"}}}},
		{name: "not authenticated", token: "denied", calls: 1},
		{name: "not authenticated with an error", token: "denied-with-error", calls: 1, errSubstr: "token revoked"},
		{name: "server error is retried then fails", token: "broken", calls: 5, errSubstr: "returned 500"},
		{name: "client error is not retried", token: "teapot", calls: 1, errSubstr: "returned 418: no"},
		{name: "an answer quoting the token is withheld", token: "leaky-token", calls: 1, errSubstr: "returned 400: <answer withheld>"},
		{name: "API audience asked, none answered", token: "alice-token", audiences: []string{"api"}, calls: 1, ok: true,
			want: &request.User{Name: "alice", UID: "a-1", Groups: []string{"devs"}, Extra: map[string][]string{"scopes": {"read"}}}},
		{name: "other audience asked, none answered", token: "alice-token", audiences: []string{"vault"}, calls: 1},
		{name: "answered audience matches", token: "vault-token", audiences: []string{"vault"}, calls: 1, ok: true,
			want: &request.User{Name: "vault-user"}},
		{name: "answered audience does not match", token: "vault-token", audiences: []string{"api"}, calls: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			a, err := New(Config{KubeconfigFile: srv.kubeconfig, Version: tc.version, APIAudiences: []string{"api"}, RetryBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			before := srv.calls.Load()
			ctx := authn.WithAudiences(context.Background(), tc.audiences)
			u, ok, err := a.AuthenticateToken(ctx, tc.token)
			if ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateToken = %+v,%v,%v; want %+v,%v", u, ok, err, tc.want, tc.ok)
			}
			if (err != nil) != (tc.errSubstr != "") || (err != nil && !strings.Contains(err.Error(), tc.errSubstr)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
			}
			if got := srv.calls.Load() - before; got != tc.calls {
				t.Errorf("calls = %d, want %d", got, tc.calls)
			}
			review, header := srv.lastReview()
			wantVersion := tc.version
			if wantVersion == "" {
				wantVersion = "v1beta1"
			}
			if review["apiVersion"] != "authentication.k8s.io/"+wantVersion || review["kind"] != "TokenReview" {
				t.Errorf("sent %v %v, want authentication.k8s.io/%s TokenReview", review["apiVersion"], review["kind"], wantVersion)
			}
			spec := review["spec"].(map[string]any)
			if spec["token"] != tc.token || fmt.Sprint(spec["audiences"]) != fmt.Sprint(anySlice(tc.audiences)) {
				t.Errorf("spec = %v", spec)
			}
			if header.Get("Authorization") != "Bearer webhook-secret" {
				t.Errorf("the kubeconfig credentials were not sent: %q", header.Get("Authorization"))
			}
		})
	}
}

func anySlice(s []string) any {
	if s == nil {
		return nil
	}
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestWebhookCache(t *testing.T) {
	srv := newTokenReviewServer(t)
	a, err := New(Config{KubeconfigFile: srv.kubeconfig, RetryBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cached := authn.NewTokenCache(a, time.Minute, time.Minute)
	tests := []struct {
		name  string
		token string
		ok    bool
		calls int32
	}{
		{name: "authenticated answer cached", token: "alice-token", ok: true, calls: 1},
		{name: "unauthenticated answer cached", token: "denied", calls: 1},
		{name: "error not cached", token: "broken", calls: 10},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.calls.Load()
			for range 2 {
				if _, ok, _ := cached.AuthenticateToken(context.Background(), tc.token); ok != tc.ok {
					t.Fatalf("ok = %v, want %v", ok, tc.ok)
				}
			}
			if got := srv.calls.Load() - before; got != tc.calls {
				t.Fatalf("webhook calls = %d, want %d", got, tc.calls)
			}
		})
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	srv := newTokenReviewServer(t)
	tests := []struct {
		name string
		cfg  Config
		want string
	}{
		{"bad version", Config{KubeconfigFile: srv.kubeconfig, Version: "v2"}, `unsupported authentication webhook version "v2"`},
		{"missing kubeconfig", Config{KubeconfigFile: filepath.Join(t.TempDir(), "nope")}, "authentication webhook kubeconfig"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := New(tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
