package filters

import (
	"bufio"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/request"
)

// eventSink keeps the events the filter sends, in order.
type eventSink struct {
	mu     sync.Mutex
	events []*audit.Event
}

func (s *eventSink) ProcessEvents(events ...*audit.Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, events...)
	return true
}

func (s *eventSink) Shutdown() {}

func (s *eventSink) stages() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, e := range s.events {
		out = append(out, string(e.Stage))
	}
	return strings.Join(out, ",")
}

func (s *eventSink) last() *audit.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.events[len(s.events)-1]
}

func mustEvaluator(t testing.TB, policy string) *audit.Evaluator {
	t.Helper()
	p, err := audit.ParsePolicy([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	return audit.NewEvaluator(p)
}

const allMetadata = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"

// auditChain is the server's order around a handler: request info, audit ID, audit,
// a fixed user standing in for authentication, then the handler.
func auditChain(t testing.TB, cfg *AuditConfig, h http.Handler) http.Handler {
	authenticated := WithAuditAuthenticated(h)
	withUser := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		authenticated.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), &request.User{Name: "tester"})))
	})
	return WithPanicRecovery(WithRequestInfo(WithAuditID(WithAudit(withUser, cfg))), writeError)
}

func TestAuditFilterStages(t *testing.T) {
	tests := []struct {
		name        string
		path        string
		handler     http.HandlerFunc
		wantStages  string
		wantCode    int32
		wantMessage string
	}{
		{name: "plain request", path: "/api/v1/namespaces", handler: func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("{}")) },
			wantStages: "RequestReceived,ResponseComplete", wantCode: 200},
		{name: "nothing written", path: "/api/v1/namespaces", handler: func(w http.ResponseWriter, r *http.Request) {},
			wantStages: "RequestReceived,ResponseComplete", wantCode: 200, wantMessage: "Connection closed early"},
		{name: "watch nothing written", path: "/api/v1/pods?watch=true", handler: func(w http.ResponseWriter, r *http.Request) {},
			wantStages: "RequestReceived,ResponseStarted,ResponseComplete", wantCode: 200, wantMessage: "Connection closed early"},
		{name: "watch flushed", path: "/api/v1/pods?watch=true", handler: func(w http.ResponseWriter, r *http.Request) {
			w.(http.Flusher).Flush()
			_, _ = w.Write([]byte(`{"type":"ADDED"}`))
		}, wantStages: "RequestReceived,ResponseStarted,ResponseComplete", wantCode: 200},
		{name: "logs are long-running", path: "/api/v1/namespaces/d/pods/p/log", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotFound)
		}, wantStages: "RequestReceived,ResponseStarted,ResponseComplete", wantCode: 404},
		{name: "panic", path: "/api/v1/namespaces", handler: func(w http.ResponseWriter, r *http.Request) { panic("boom") },
			wantStages: "RequestReceived,Panic", wantCode: 500, wantMessage: "APIServer panic'd: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &eventSink{}
			h := auditChain(t, &AuditConfig{Evaluator: mustEvaluator(t, allMetadata), Backend: sink}, tt.handler)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tt.path, nil))
			if got := sink.stages(); got != tt.wantStages {
				t.Fatalf("stages %q, want %q", got, tt.wantStages)
			}
			last := sink.last()
			if last.ResponseStatus == nil || last.ResponseStatus.Code != tt.wantCode || last.ResponseStatus.Message != tt.wantMessage {
				t.Errorf("responseStatus %+v, want code %d message %q", last.ResponseStatus, tt.wantCode, tt.wantMessage)
			}
			if last.User.Username != "tester" || last.AuditID == "" || last.AuditID != sink.events[0].AuditID {
				t.Errorf("user %q auditID %q", last.User.Username, last.AuditID)
			}
		})
	}
}

func TestAuditFilterHijack(t *testing.T) {
	sink := &eventSink{}
	h := auditChain(t, &AuditConfig{Evaluator: mustEvaluator(t, allMetadata), Backend: sink},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, buf, err := w.(http.Hijacker).Hijack()
			if err != nil {
				t.Errorf("hijack: %v", err)
				return
			}
			defer conn.Close()
			_, _ = buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: SPDY/3.1\r\nConnection: Upgrade\r\n\r\nhello")
			_ = buf.Flush()
		}))
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/namespaces/d/pods/p/exec?command=true")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(bufio.NewReader(resp.Body))
	if resp.StatusCode != http.StatusSwitchingProtocols || string(body) != "hello" {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}
	// A hijacked connection is no longer the server's: Close does not wait for the
	// handler, whose return completes the event, so wait for that here.
	srv.Close()
	const want = "RequestReceived,ResponseStarted,ResponseComplete"
	for deadline := time.Now().Add(5 * time.Second); sink.stages() != want && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if got := sink.stages(); got != want {
		t.Fatalf("stages %q", got)
	}
	if code := sink.last().ResponseStatus.Code; code != http.StatusSwitchingProtocols {
		t.Errorf("code %d, want 101", code)
	}
}

func TestAuditFilterLevelNoneAndDisabled(t *testing.T) {
	none := "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n"
	tests := []struct {
		name string
		cfg  func(*eventSink) *AuditConfig
	}{
		{"level None", func(s *eventSink) *AuditConfig {
			return &AuditConfig{Evaluator: mustEvaluator(t, none), Backend: s}
		}},
		{"no config", func(*eventSink) *AuditConfig { return nil }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &eventSink{}
			h := auditChain(t, tt.cfg(sink), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.ReadAll(r.Body) }))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/namespaces", strings.NewReader("{}")))
			if len(sink.events) != 0 || rec.Code != 200 {
				t.Errorf("%d events, code %d", len(sink.events), rec.Code)
			}
		})
	}
}

// BenchmarkAuditFilterMetadata measures a GET through the audit filter at Metadata
// level (JSON to a discarded log) against the same chain without auditing.
func BenchmarkAuditFilterMetadata(b *testing.B) {
	body := []byte(`{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"default"}}`)
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	log, err := audit.NewLogBackend(io.Discard, audit.FormatJSON, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cfg  *AuditConfig
	}{
		{"off", nil},
		{"metadata", &AuditConfig{Evaluator: mustEvaluator(b, allMetadata), Backend: log}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := auditChain(b, bc.cfg, handler)
			req := httptest.NewRequest("GET", "/api/v1/namespaces/default", nil)
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(httptest.NewRecorder(), req)
			}
		})
	}
}
