package filters

import (
	"bufio"
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/request"
)

// servedForTest serves configmaps (and their status) and pods with log and exec.
func servedForTest(info *request.Info) bool {
	switch info.Resource {
	case "configmaps":
		return info.Subresource == ""
	case "pods":
		return info.Subresource == "" || info.Subresource == "log" || info.Subresource == "exec" || info.Subresource == "status"
	}
	return false
}

func newTestRequest(method, target, contentType string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	return r.WithContext(request.WithInfo(r.Context(), request.ParseInfo(r)))
}

func TestRequestLabels(t *testing.T) {
	tests := []struct {
		name        string
		method      string
		target      string
		contentType string
		want        metrics.RequestLabels
		wantRecord  bool
	}{
		{name: "get", method: "GET", target: "/api/v1/namespaces/ns/configmaps/a", wantRecord: true,
			want: metrics.RequestLabels{Verb: "GET", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "head is a get", method: "HEAD", target: "/api/v1/namespaces/ns/configmaps/a", wantRecord: true,
			want: metrics.RequestLabels{Verb: "GET", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "namespaced list", method: "GET", target: "/api/v1/namespaces/ns/configmaps", wantRecord: true,
			want: metrics.RequestLabels{Verb: "LIST", Version: "v1", Resource: "configmaps", Scope: "namespace", Component: "apiserver"}},
		{name: "cluster list", method: "GET", target: "/api/v1/configmaps", wantRecord: true,
			want: metrics.RequestLabels{Verb: "LIST", Version: "v1", Resource: "configmaps", Scope: "cluster", Component: "apiserver"}},
		{name: "watch param", method: "GET", target: "/api/v1/configmaps?watch=true", wantRecord: true,
			want: metrics.RequestLabels{Verb: "WATCH", Version: "v1", Resource: "configmaps", Scope: "cluster", Component: "apiserver"}},
		{name: "watch=false is a list", method: "GET", target: "/api/v1/configmaps?watch=false", wantRecord: true,
			want: metrics.RequestLabels{Verb: "LIST", Version: "v1", Resource: "configmaps", Scope: "cluster", Component: "apiserver"}},
		{name: "legacy watch path", method: "GET", target: "/api/v1/watch/namespaces/ns/configmaps", wantRecord: true,
			want: metrics.RequestLabels{Verb: "WATCH", Version: "v1", Resource: "configmaps", Scope: "namespace", Component: "apiserver"}},
		{name: "named watch", method: "GET", target: "/api/v1/namespaces/ns/configmaps/a?watch=1", wantRecord: true,
			want: metrics.RequestLabels{Verb: "WATCH", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "create", method: "POST", target: "/api/v1/namespaces/ns/configmaps", wantRecord: true,
			want: metrics.RequestLabels{Verb: "POST", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "dry-run create", method: "POST", target: "/api/v1/namespaces/ns/configmaps?dryRun=All&dryRun=All", wantRecord: true,
			want: metrics.RequestLabels{Verb: "POST", DryRun: "All", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "invalid dry-run", method: "POST", target: "/api/v1/namespaces/ns/configmaps?dryRun=bogus" + strings.Repeat("x", 50), wantRecord: true,
			want: metrics.RequestLabels{Verb: "POST", DryRun: "invalid", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "update", method: "PUT", target: "/api/v1/namespaces/ns/configmaps/a", wantRecord: true,
			want: metrics.RequestLabels{Verb: "PUT", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "merge patch", method: "PATCH", target: "/api/v1/namespaces/ns/configmaps/a", contentType: "application/merge-patch+json", wantRecord: true,
			want: metrics.RequestLabels{Verb: "PATCH", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "apply patch", method: "PATCH", target: "/api/v1/namespaces/ns/configmaps/a", contentType: "application/apply-patch+yaml", wantRecord: true,
			want: metrics.RequestLabels{Verb: "APPLY", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "delete collection", method: "DELETE", target: "/api/v1/namespaces/ns/configmaps", wantRecord: true,
			want: metrics.RequestLabels{Verb: "DELETE", Version: "v1", Resource: "configmaps", Scope: "namespace", Component: "apiserver"}},
		{name: "status subresource", method: "PUT", target: "/api/v1/namespaces/ns/pods/p/status", wantRecord: true,
			want: metrics.RequestLabels{Verb: "PUT", Version: "v1", Resource: "pods", Subresource: "status", Scope: "resource", Component: "apiserver"}},
		{name: "log is connect", method: "GET", target: "/api/v1/namespaces/ns/pods/p/log", wantRecord: true,
			want: metrics.RequestLabels{Verb: "CONNECT", Version: "v1", Resource: "pods", Subresource: "log", Scope: "resource", Component: "apiserver"}},
		{name: "exec is connect", method: "POST", target: "/api/v1/namespaces/ns/pods/p/exec", wantRecord: true,
			want: metrics.RequestLabels{Verb: "CONNECT", Version: "v1", Resource: "pods", Subresource: "exec", Scope: "resource", Component: "apiserver"}},
		{name: "unknown method", method: "OPTIONS", target: "/api/v1/namespaces/ns/configmaps/a", wantRecord: true,
			want: metrics.RequestLabels{Verb: "other", Version: "v1", Resource: "configmaps", Scope: "resource", Component: "apiserver"}},
		{name: "healthz", method: "GET", target: "/healthz", wantRecord: true,
			want: metrics.RequestLabels{Verb: "GET", Subresource: "/healthz"}},
		{name: "discovery", method: "GET", target: "/apis", wantRecord: true,
			want: metrics.RequestLabels{Verb: "GET", Subresource: "/apis", Component: "apiserver"}},
		{name: "unknown resource", method: "GET", target: "/api/v1/foos"},
		{name: "unknown subresource", method: "GET", target: "/api/v1/namespaces/ns/configmaps/a/junk"},
		{name: "unknown group", method: "GET", target: "/apis/x.example.com/v1/things"},
		{name: "health check detail", method: "GET", target: "/healthz/etcd"},
		{name: "metrics itself", method: "GET", target: "/metrics"},
		{name: "random path", method: "GET", target: "/random/123"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newTestRequest(tc.method, tc.target, tc.contentType)
			info, _ := request.InfoFrom(r.Context())
			got, record := requestLabels(r, info, servedForTest)
			if record != tc.wantRecord {
				t.Fatalf("record = %v, want %v", record, tc.wantRecord)
			}
			if record && got != tc.want {
				t.Fatalf("labels =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

// FuzzRequestLabels checks that no request, however odd, yields a label value outside
// the bounded sets, or panics.
func FuzzRequestLabels(f *testing.F) {
	f.Add("GET", "/api/v1/namespaces/ns/configmaps?watch=1", "")
	f.Add("PATCH", "/api/v1/namespaces/ns/configmaps/a?dryRun=All&dryRun=x", "application/apply-patch+yaml; charset=utf-8")
	f.Add("BREW", "/apis/a/b/c/d/e/f/g", "text/%%%")
	verbs := map[string]bool{"other": true}
	for v := range reportedVerbs {
		verbs[v] = true
	}
	f.Fuzz(func(t *testing.T, method, target, contentType string) {
		r, err := http.NewRequest("GET", "http://x/", nil)
		if err != nil {
			t.Skip()
		}
		r.Method = method
		u, err := r.URL.Parse(target)
		if err != nil {
			t.Skip()
		}
		r.URL = u
		r.Header.Set("Content-Type", contentType)
		info := request.ParseInfo(r)
		l, record := requestLabels(r, info, servedForTest)
		if !record {
			return
		}
		if !verbs[l.Verb] {
			t.Fatalf("verb label %q", l.Verb)
		}
		if l.DryRun != "" && l.DryRun != "All" && l.DryRun != "invalid" {
			t.Fatalf("dry_run label %q", l.DryRun)
		}
		if l.Resource != "" && l.Resource != "configmaps" && l.Resource != "pods" {
			t.Fatalf("resource label %q", l.Resource)
		}
		switch l.Scope {
		case "", "resource", "namespace", "cluster":
		default:
			t.Fatalf("scope label %q", l.Scope)
		}
	})
}

// hijackWriter is a ResponseWriter that supports hijacking, as HTTP/1.1's does.
type hijackWriter struct {
	*httptest.ResponseRecorder
	hijacked bool
}

func (h *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.hijacked = true
	c1, _ := net.Pipe()
	return c1, bufio.NewReadWriter(bufio.NewReader(c1), bufio.NewWriter(c1)), nil
}

func TestResponseRecorder(t *testing.T) {
	tests := []struct {
		name         string
		inner        http.ResponseWriter
		handler      func(w http.ResponseWriter)
		wantStatus   int
		wantSize     int64
		wantHijacker bool
	}{
		{"implicit 200", httptest.NewRecorder(), func(w http.ResponseWriter) { _, _ = w.Write([]byte("hello")) }, 200, 5, false},
		{"nothing written", httptest.NewRecorder(), func(http.ResponseWriter) {}, 200, 0, false},
		{"explicit code kept", httptest.NewRecorder(), func(w http.ResponseWriter) {
			w.WriteHeader(404)
			w.WriteHeader(500)
			_, _ = w.Write([]byte("{}"))
		}, 404, 2, false},
		{"flush", httptest.NewRecorder(), func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, 0, false},
		{"hijack upgrade", &hijackWriter{ResponseRecorder: httptest.NewRecorder()}, func(w http.ResponseWriter) {
			c, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				c.Close()
			}
		}, 101, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec, w := recordResponse(tc.inner)
			if _, ok := w.(http.Hijacker); ok != tc.wantHijacker {
				t.Fatalf("Hijacker = %v, want %v", ok, tc.wantHijacker)
			}
			if _, ok := w.(http.Flusher); !ok {
				t.Fatal("not a Flusher")
			}
			tc.handler(w)
			if rec.Status() != tc.wantStatus || rec.written != tc.wantSize {
				t.Fatalf("status %d size %d, want %d %d", rec.Status(), rec.written, tc.wantStatus, tc.wantSize)
			}
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Fatalf("ResponseController cannot flush through the wrapper: %v", err)
			}
		})
	}
}

// gather returns the value of the single series of name whose labels include want.
func gather(t *testing.T, reg prometheus.Gatherer, name string, want map[string]string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			got := map[string]string{}
			for _, lp := range m.GetLabel() {
				got[lp.GetName()] = lp.GetValue()
			}
			for k, v := range want {
				if got[k] != v {
					continue next
				}
			}
			return value(m), true
		}
	}
	return 0, false
}

func value(m *dto.Metric) float64 {
	switch {
	case m.Counter != nil:
		return m.Counter.GetValue()
	case m.Gauge != nil:
		return m.Gauge.GetValue()
	case m.Histogram != nil:
		return float64(m.Histogram.GetSampleCount())
	}
	return 0
}

func TestWithRequestMetricsLongRunningAndInflight(t *testing.T) {
	m := metrics.New()
	inHandler := make(chan struct{})
	release := make(chan struct{})
	h := WithAccessLog(WithRequestMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		metrics.WatchEventRecorder(r.Context())(2000)
		close(inHandler)
		<-release
		w.WriteHeader(http.StatusOK)
	}), m, servedForTest), nil)
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), newTestRequest("GET", "/api/v1/namespaces/ns/configmaps?watch=1", ""))
	}()
	<-inHandler
	watchLabels := map[string]string{"verb": "WATCH", "resource": "configmaps", "scope": "namespace"}
	if v, ok := gather(t, m.Registry(), "apiserver_longrunning_requests", watchLabels); !ok || v != 1 {
		t.Fatalf("longrunning during the watch = %v, %v", v, ok)
	}
	close(release)
	<-done
	if v, _ := gather(t, m.Registry(), "apiserver_longrunning_requests", watchLabels); v != 0 {
		t.Fatalf("longrunning after the watch = %v", v)
	}
	if v, _ := gather(t, m.Registry(), "apiserver_watch_events_total", map[string]string{"group": "", "version": "v1", "resource": "configmaps"}); v != 1 {
		t.Fatalf("watch events = %v", v)
	}
	if v, _ := gather(t, m.Registry(), "apiserver_watch_events_sizes", map[string]string{"resource": "configmaps"}); v != 1 {
		t.Fatalf("watch event sizes count = %v", v)
	}

	// A mutating request in flight shows in the mutating gauge.
	inHandler, release = make(chan struct{}), make(chan struct{})
	h2 := WithRequestMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(inHandler)
		<-release
	}), m, servedForTest)
	done = make(chan struct{})
	go func() {
		defer close(done)
		h2.ServeHTTP(httptest.NewRecorder(), newTestRequest("POST", "/api/v1/namespaces/ns/configmaps", "application/json"))
	}()
	<-inHandler
	if v, _ := gather(t, m.Registry(), "apiserver_current_inflight_requests", map[string]string{"request_kind": "mutating"}); v != 1 {
		t.Fatalf("mutating in flight = %v", v)
	}
	close(release)
	<-done
	if v, _ := gather(t, m.Registry(), "apiserver_request_total", map[string]string{"verb": "POST", "code": "200"}); v != 1 {
		t.Fatalf("POST count = %v", v)
	}
}

func TestAccessLog(t *testing.T) {
	tests := []struct {
		name    string
		level   slog.Level
		wantLog bool
	}{
		{"v=3 logs", AccessLogLevel, true},
		{"v=2 silent", slog.Level(-2), false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: tc.level}))
			inner := WithRequestMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(time.Millisecond)
				w.WriteHeader(http.StatusTeapot)
			}), metrics.New(), servedForTest)
			h := WithAuditID(WithAccessLog(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				inner.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), &request.User{Name: "alice"})))
			}), logger))
			r := newTestRequest("GET", "/api/v1/namespaces/ns/configmaps/a?secret=query", "")
			r.Header.Set("Authorization", "Bearer super-secret-token")
			r.Header.Set(AuditIDHeader, "audit-1")
			h.ServeHTTP(httptest.NewRecorder(), r)
			out := buf.String()
			if !tc.wantLog {
				if out != "" {
					t.Fatalf("logged at a lower verbosity: %s", out)
				}
				return
			}
			for _, want := range []string{`"verb":"GET"`, `"path":"/api/v1/namespaces/ns/configmaps/a"`, `"user":"alice"`, `"code":418`, `"auditID":"audit-1"`, `"latency":`} {
				if !strings.Contains(out, want) {
					t.Errorf("access log %s lacks %s", out, want)
				}
			}
			for _, secret := range []string{"super-secret-token", "secret=query", "Bearer"} {
				if strings.Contains(out, secret) {
					t.Errorf("access log leaks %q: %s", secret, out)
				}
			}
		})
	}
}

// BenchmarkRequestMetricsOverhead measures the filter against the bare handler;
// compare the two sub-benchmarks' ns/op for the overhead ratio.
func BenchmarkRequestMetricsOverhead(b *testing.B) {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"kind":"ConfigMap"}`)
	})
	m := metrics.New()
	cases := []struct {
		name string
		h    http.Handler
	}{
		{"bare", handler},
		{"metrics", WithAccessLog(WithRequestMetrics(handler, m, servedForTest), nil)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			r := newTestRequest("GET", "/api/v1/namespaces/ns/configmaps/a", "")
			b.ReportAllocs()
			for b.Loop() {
				c.h.ServeHTTP(httptest.NewRecorder(), r)
			}
		})
	}
}

// TestSLILatencyExcludesWaits: apiserver_request_sli_duration_seconds leaves out the
// time inner layers report as queue or webhook waits; apiserver_request_duration_seconds
// keeps it.
func TestSLILatencyExcludesWaits(t *testing.T) {
	m := metrics.New()
	h := WithAccessLog(WithRequestMetrics(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		time.Sleep(100 * time.Millisecond) // a webhook, say
		request.AddExcludedLatency(r.Context(), time.Since(start))
		w.WriteHeader(http.StatusOK)
	}), m, servedForTest), nil)
	h.ServeHTTP(httptest.NewRecorder(), newTestRequest("GET", "/api/v1/namespaces/ns/configmaps/a", ""))
	sum := func(name string) float64 {
		t.Helper()
		mfs, err := m.Registry().Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			if mf.GetName() == name && len(mf.GetMetric()) == 1 {
				return mf.GetMetric()[0].GetHistogram().GetSampleSum()
			}
		}
		t.Fatalf("%s: no single series", name)
		return 0
	}
	full, sli := sum("apiserver_request_duration_seconds"), sum("apiserver_request_sli_duration_seconds")
	if full < 0.1 || sli > full-0.09 || sli < 0 {
		t.Fatalf("duration %.3fs, SLI %.3fs: want the SLI to leave out the 0.1s wait", full, sli)
	}
}
