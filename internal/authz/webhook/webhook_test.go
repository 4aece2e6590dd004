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
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// webhookServer answers SubjectAccessReviews: user "alice" is allowed, "mallory"
// denied, "broken" gets a 500, everyone else no opinion. It counts calls and keeps
// the last body.
func webhookServer(t *testing.T) (kubeconfig string, calls *atomic.Int32, last *atomic.Value) {
	calls, last = &atomic.Int32{}, &atomic.Value{}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		var review map[string]any
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		last.Store(review)
		spec := review["spec"].(map[string]any)
		status := map[string]any{}
		switch spec["user"] {
		case "alice":
			status = map[string]any{"allowed": true, "reason": "alice may"}
		case "mallory":
			status = map[string]any{"allowed": false, "denied": true, "reason": "not mallory"}
		case "broken":
			http.Error(w, "boom", http.StatusInternalServerError)
			return
		}
		review["status"] = status
		_ = json.NewEncoder(w).Encode(review)
	}))
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	if err := os.WriteFile(caFile, ca, 0o600); err != nil {
		t.Fatal(err)
	}
	kubeconfig = filepath.Join(t.TempDir(), "webhook.kubeconfig")
	doc := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: authz
  cluster:
    server: %s/authorize
    certificate-authority: %s
users:
- name: apiserver
contexts:
- name: webhook
  context: {cluster: authz, user: apiserver}
current-context: webhook
`, srv.URL, caFile)
	if err := os.WriteFile(kubeconfig, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	return kubeconfig, calls, last
}

func TestWebhookAuthorizer(t *testing.T) {
	kubeconfig, calls, last := webhookServer(t)
	w, err := New(Config{KubeconfigFile: kubeconfig, Version: "v1", AuthorizedTTL: time.Minute, UnauthorizedTTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	pods := &request.Info{IsResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "ns", Name: "p", APIVersion: "v1"}
	tests := []struct {
		name       string
		user       string
		want       authz.Decision
		wantReason string
		wantErr    bool
	}{
		{"allowed", "alice", authz.Allow, "alice may", false},
		{"denied", "mallory", authz.Deny, "not mallory", false},
		{"no opinion", "bob", authz.NoOpinion, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, reason, err := w.Authorize(context.Background(), authz.Attributes{User: &request.User{Name: tc.user, Groups: []string{"g"}}, Info: pods})
			if d != tc.want || reason != tc.wantReason || (err != nil) != tc.wantErr {
				t.Errorf("Authorize = %v %q %v, want %v %q", d, reason, err, tc.want, tc.wantReason)
			}
		})
	}
	t.Run("request carries the attributes", func(t *testing.T) {
		review := last.Load().(map[string]any)
		if review["apiVersion"] != "authorization.k8s.io/v1" {
			t.Errorf("apiVersion = %v", review["apiVersion"])
		}
		ra := review["spec"].(map[string]any)["resourceAttributes"].(map[string]any)
		if ra["namespace"] != "ns" || ra["verb"] != "get" || ra["resource"] != "pods" || ra["name"] != "p" {
			t.Errorf("resourceAttributes = %v", ra)
		}
	})
	t.Run("answers are cached", func(t *testing.T) {
		before := calls.Load()
		for range 3 {
			if d, _, _ := w.Authorize(context.Background(), authz.Attributes{User: &request.User{Name: "alice", Groups: []string{"g"}}, Info: pods}); d != authz.Allow {
				t.Fatalf("decision %v", d)
			}
		}
		if calls.Load() != before {
			t.Errorf("webhook called %d more times, want 0 (cached)", calls.Load()-before)
		}
	})
	t.Run("failure has no opinion and reports the error", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		before := calls.Load()
		d, _, err := w.Authorize(ctx, authz.Attributes{User: &request.User{Name: "broken"}, Info: pods})
		if d != authz.NoOpinion || err == nil {
			t.Errorf("Authorize = %v %v, want no opinion and an error", d, err)
		}
		if n := calls.Load() - before; n < 2 {
			t.Errorf("webhook called %d times, want retries", n)
		}
	})
}

func TestWebhookV1beta1NamesGroupsGroup(t *testing.T) {
	kubeconfig, _, last := webhookServer(t)
	w, err := New(Config{KubeconfigFile: kubeconfig})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Authorize(context.Background(), authz.Attributes{User: &request.User{Name: "bob", Groups: []string{"devs"}},
		Info: &request.Info{Verb: "get", Path: "/healthz"}}); err != nil {
		t.Fatal(err)
	}
	review := last.Load().(map[string]any)
	spec := review["spec"].(map[string]any)
	if review["apiVersion"] != "authorization.k8s.io/v1beta1" || spec["group"] == nil || spec["groups"] != nil {
		t.Errorf("review = %v, want v1beta1 with spec.group", review)
	}
	if nra := spec["nonResourceAttributes"].(map[string]any); nra["path"] != "/healthz" {
		t.Errorf("nonResourceAttributes = %v", nra)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"missing file": {KubeconfigFile: "/does/not/exist"},
		"bad version":  {KubeconfigFile: "/does/not/exist", Version: "v2"},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := New(cfg); err == nil {
				t.Error("New succeeded")
			}
		})
	}
}

func TestWebhookMatchConditions(t *testing.T) {
	kubeconfig, calls, _ := webhookServer(t)
	alice := &request.User{Name: "alice"}
	tests := []struct {
		name       string
		conditions []string
		deny       bool
		info       *request.Info
		want       authz.Decision
		wantCall   bool
		wantErr    bool
	}{
		{name: "all true: asked", conditions: []string{"request.resourceAttributes.namespace == 'kube-system'", "request.user == 'alice'"},
			info: &request.Info{IsResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "kube-system"}, want: authz.Allow, wantCall: true},
		{name: "one false: not asked", conditions: []string{"request.resourceAttributes.namespace == 'kube-system'"},
			info: &request.Info{IsResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "default"}, want: authz.NoOpinion},
		{name: "guarded with has", conditions: []string{"has(request.resourceAttributes) && request.resourceAttributes.resource == 'pods'"},
			info: &request.Info{Verb: "get", Path: "/healthz"}, want: authz.NoOpinion},
		{name: "evaluation error has no opinion", conditions: []string{"request.resourceAttributes.resource == 'pods'"},
			info: &request.Info{Verb: "get", Path: "/healthz"}, want: authz.NoOpinion, wantErr: true},
		{name: "evaluation error with failurePolicy Deny", conditions: []string{"request.resourceAttributes.resource == 'pods'"}, deny: true,
			info: &request.Info{Verb: "get", Path: "/healthz"}, want: authz.Deny, wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Config{KubeconfigFile: kubeconfig, Version: "v1", MatchConditions: tc.conditions, DenyOnError: tc.deny})
			if err != nil {
				t.Fatal(err)
			}
			before := calls.Load()
			d, _, err := w.Authorize(context.Background(), authz.Attributes{User: alice, Info: tc.info})
			if d != tc.want || (err != nil) != tc.wantErr {
				t.Errorf("Authorize = %v, %v; want %v (error %v)", d, err, tc.want, tc.wantErr)
			}
			if called := calls.Load() != before; called != tc.wantCall {
				t.Errorf("webhook called = %v, want %v", called, tc.wantCall)
			}
		})
	}
	if _, err := New(Config{KubeconfigFile: kubeconfig, MatchConditions: []string{"request.user"}}); err == nil {
		t.Error("a non-bool condition was accepted")
	}
}
