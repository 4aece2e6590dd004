package audit

import (
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// auditSink is a loopback HTTPS webhook that fails its first failures requests.
type auditSink struct {
	mu       sync.Mutex
	failures int
	requests int
	lists    []EventList
	tokens   []string
}

func (s *auditSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	s.tokens = append(s.tokens, r.Header.Get("Authorization"))
	if r.Method != http.MethodPost || r.URL.Path != "/audit" || r.Header.Get("Content-Type") != "application/json" {
		http.Error(w, "unexpected request", http.StatusBadRequest)
		return
	}
	if s.failures > 0 {
		s.failures--
		http.Error(w, "try again", http.StatusInternalServerError)
		return
	}
	var list EventList
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.lists = append(s.lists, list)
	w.WriteHeader(http.StatusOK)
}

func (s *auditSink) events() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.lists {
		n += len(l.Items)
	}
	return n
}

// startSink serves sink over TLS and writes the kubeconfig that reaches it.
func startSink(t *testing.T, sink *auditSink) string {
	t.Helper()
	srv := httptest.NewTLSServer(sink)
	t.Cleanup(srv.Close)
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sink"] = &clientcmdapi.Cluster{Server: srv.URL + "/audit", CertificateAuthorityData: ca}
	cfg.AuthInfos["apiserver"] = &clientcmdapi.AuthInfo{Token: "audit-token"}
	cfg.Contexts["default"] = &clientcmdapi.Context{Cluster: "sink", AuthInfo: "apiserver"}
	cfg.CurrentContext = "default"
	path := filepath.Join(t.TempDir(), "webhook.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWebhookRetriesThenDelivers(t *testing.T) {
	tests := []struct {
		name         string
		failures     int
		wantOK       bool
		wantRequests int
	}{
		{name: "first try", failures: 0, wantOK: true, wantRequests: 1},
		{name: "after two failures", failures: 2, wantOK: true, wantRequests: 3},
		{name: "gives up after five attempts", failures: 10, wantOK: false, wantRequests: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &auditSink{failures: tt.failures}
			var m Metrics
			hook, err := NewWebhook(startSink(t, sink), time.Millisecond, &m)
			if err != nil {
				t.Fatal(err)
			}
			defer hook.Shutdown()
			if got := hook.ProcessEvents(testEvent(1), testEvent(2)); got != tt.wantOK {
				t.Fatalf("ProcessEvents = %v, want %v", got, tt.wantOK)
			}
			sink.mu.Lock()
			defer sink.mu.Unlock()
			if sink.requests != tt.wantRequests {
				t.Errorf("%d requests, want %d", sink.requests, tt.wantRequests)
			}
			if sink.tokens[0] != "Bearer audit-token" {
				t.Errorf("Authorization %q", sink.tokens[0])
			}
			if !tt.wantOK {
				if got := m.Snapshot().ErrorTotal[WebhookPluginName]; got != 2 {
					t.Errorf("apiserver_audit_error_total{plugin=webhook} = %d, want 2", got)
				}
				return
			}
			l := sink.lists[0]
			if l.Kind != "EventList" || l.APIVersion != "audit.k8s.io/v1" || len(l.Items) != 2 || l.Items[1].Verb != "2" || l.Items[0].Kind != "Event" {
				t.Errorf("unexpected list %+v", l)
			}
		})
	}
}

func TestWebhookBatchMode(t *testing.T) {
	sink := &auditSink{failures: 1}
	hook, err := NewWebhook(startSink(t, sink), time.Millisecond, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := WithMode(hook, ModeBatch, BatchConfig{BufferSize: 1000, MaxBatchSize: 40, MaxBatchWait: time.Hour,
		ThrottleEnable: true, ThrottleQPS: 100, ThrottleBurst: 2, AsyncDelegate: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		b.ProcessEvents(testEvent(i))
	}
	b.Shutdown() // sends the 20 left over in a last batch
	if n := sink.events(); n != 100 {
		t.Errorf("%d events delivered, want 100", n)
	}
	sink.mu.Lock()
	defer sink.mu.Unlock()
	if len(sink.lists) != 3 {
		t.Errorf("%d batches, want 3 (40, 40, 20)", len(sink.lists))
	}
}

func TestNewWebhookErrors(t *testing.T) {
	dir := t.TempDir()
	noContext := filepath.Join(dir, "empty.kubeconfig")
	if err := os.WriteFile(noContext, []byte("apiVersion: v1\nkind: Config\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	garbage := filepath.Join(dir, "garbage.kubeconfig")
	if err := os.WriteFile(garbage, []byte("{{{"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, path string }{
		{"missing file", filepath.Join(dir, "nope")},
		{"no server", noContext},
		{"not yaml", garbage},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewWebhook(tt.path, 0, nil); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
