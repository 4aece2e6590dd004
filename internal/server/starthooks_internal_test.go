package server

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/metrics"
)

// TestStartHooksReportProgress: a stage's check fails with upstream's reason until
// the stage is finished; within the grace period (/livez) it passes regardless.
func TestStartHooksReportProgress(t *testing.T) {
	for _, tc := range []struct {
		name     string
		finished []string
		grace    time.Duration
		want     map[string]error
	}{
		{name: "nothing finished", want: map[string]error{hookRBACBootstrap: errNotFinished, autoregisterCompletion: errNotFinished}},
		{name: "one finished", finished: []string{hookRBACBootstrap},
			want: map[string]error{hookRBACBootstrap: nil, hookBootstrapController: errNotFinished}},
		{name: "within the grace period", grace: time.Hour,
			want: map[string]error{hookRBACBootstrap: nil, hookStorageReadiness: nil}},
		{name: "grace period over", grace: time.Nanosecond, want: map[string]error{hookRBACBootstrap: errNotFinished}},
		{name: "unknown stage ignored", finished: []string{"no-such-hook"}, want: map[string]error{hookRBACBootstrap: errNotFinished}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newStartHooks(true)
			h.finish(tc.finished...)
			byName := map[string]healthCheck{}
			for _, c := range h.checks(time.Now().Add(-time.Millisecond), tc.grace) {
				byName[c.name] = c
			}
			for stage, want := range tc.want {
				name := "poststarthook/" + stage
				if stage == autoregisterCompletion {
					name = stage
				}
				c, ok := byName[name]
				if !ok {
					t.Fatalf("no check %q", name)
				}
				if err := c.check(nil); !errors.Is(err, want) {
					t.Errorf("%s: %v, want %v", name, err, want)
				}
			}
		})
	}
}

// TestStartHooksOrder: every stage is listed once, and APF's three give way to the
// max-in-flight filter's when APF is off.
func TestStartHooksOrder(t *testing.T) {
	for _, apf := range []bool{true, false} {
		order := startHookOrder(apf)
		seen := map[string]bool{}
		for _, name := range order {
			if seen[name] {
				t.Errorf("APF %v: %s listed twice", apf, name)
			}
			seen[name] = true
		}
		if seen[hookFlowControlFilter] != apf || seen[hookFlowControlConsumer] != apf || seen[hookFlowControlProducer] != apf || seen[hookMaxInFlightFilter] == apf {
			t.Errorf("APF %v: order %v", apf, order)
		}
	}
}

// TestStartHooksFailReadyz: an unfinished stage fails the endpoint, and the
// verbose body names it with the reason withheld, as upstream.
func TestStartHooksFailReadyz(t *testing.T) {
	h := newStartHooks(true)
	h.finish(startHookOrder(true)...)
	h.done[hookAPIServiceOpenAPIV3].Store(false)
	rec := httptest.NewRecorder()
	healthHandler("readyz", h.checks(time.Now(), 0), metrics.NewHealthSLIs(time.Now())).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz?verbose", nil))
	const failed = "[-]poststarthook/apiservice-openapiv3-controller failed: reason withheld\nreadyz check failed\n"
	if body := rec.Body.String(); rec.Code != http.StatusInternalServerError || len(body) < len(failed) || body[len(body)-len(failed):] != failed {
		t.Errorf("GET /readyz?verbose: %d\n%s\nwant 500 ending\n%s", rec.Code, body, failed)
	}
}

// blockingWriter blocks each write until release is closed.
type blockingWriter struct{ release chan struct{} }

func (w blockingWriter) Write(p []byte) (int, error) {
	<-w.release
	return len(p), nil
}

// TestLogCheck: the log check fails while one write has been blocked for longer
// than the limit, and passes again once it completes.
func TestLogCheck(t *testing.T) {
	const limit = 20 * time.Millisecond
	w := &watchedWriter{w: blockingWriter{release: make(chan struct{})}}
	if err := w.check(limit); err != nil {
		t.Fatalf("before any write: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = w.Write([]byte("line\n"))
	}()
	time.Sleep(2 * limit)
	if err := w.check(limit); !errors.Is(err, errLogBlocked) {
		t.Errorf("write blocked for %v: %v, want %v", 2*limit, err, errLogBlocked)
	}
	if err := w.check(time.Hour); err != nil {
		t.Errorf("write blocked for less than the limit: %v", err)
	}
	close(w.w.(blockingWriter).release)
	<-done
	if err := w.check(limit); err != nil {
		t.Errorf("after the write completed: %v", err)
	}
}

// TestRateLimitedProbe: the etcd check probes at most once per interval and answers
// in between with the last result (errNotProbed while the first is on its way);
// a probe that finishes after a later-started one does not overwrite its result.
func TestRateLimitedProbe(t *testing.T) {
	failure := errors.New("etcd down")
	var probes int
	result := error(nil)
	p := &rateLimitedProbe{interval: time.Second, last: errNotProbed, probe: func() error { probes++; return result }}
	start := time.Now()
	steps := []struct {
		at     time.Duration
		result error // what a probe would find
		want   error
		probes int // probes so far
	}{
		{0, nil, nil, 1},
		{500 * time.Millisecond, failure, nil, 1},
		{time.Second, failure, failure, 2},
		{1500 * time.Millisecond, nil, failure, 2},
		{2100 * time.Millisecond, nil, nil, 3},
	}
	for _, st := range steps {
		result = st.result
		if err := p.check(start.Add(st.at)); !errors.Is(err, st.want) || probes != st.probes {
			t.Errorf("at %v: %v after %d probes, want %v after %d", st.at, err, probes, st.want, st.probes)
		}
	}

	// A check during the first probe gets errNotProbed; a slow probe finishing
	// after a later one keeps the later one's result.
	release := make(chan struct{})
	var calls atomic.Int32
	slow := &rateLimitedProbe{interval: time.Second, last: errNotProbed, probe: func() error {
		if calls.Add(1) == 1 {
			<-release
			return failure
		}
		return nil
	}}
	done := make(chan error)
	go func() { done <- slow.check(start) }()
	for {
		slow.mu.Lock()
		started := !slow.next.IsZero()
		slow.mu.Unlock()
		if started {
			break
		}
		time.Sleep(time.Millisecond)
	}
	if err := slow.check(start.Add(time.Millisecond)); !errors.Is(err, errNotProbed) {
		t.Errorf("during the first probe: %v, want %v", err, errNotProbed)
	}
	if err := slow.check(start.Add(2 * time.Second)); err != nil {
		t.Errorf("a later probe: %v", err)
	}
	close(release)
	<-done
	if err := slow.check(start.Add(2500 * time.Millisecond)); err != nil {
		t.Errorf("after the earlier probe finished late: %v, want the later probe's nil", err)
	}
}

// TestLogCheckWired: the logger ConfigureLogging builds writes through the watched
// writer, whose stuck write fails the "log" check.
func TestLogCheckWired(t *testing.T) {
	var out bytes.Buffer
	o := &ObservabilityOptions{}
	if err := o.ConfigureLogging(&out); err != nil {
		t.Fatal(err)
	}
	o.Logger.Info("through the watched writer")
	if !strings.Contains(out.String(), "through the watched writer") {
		t.Fatalf("log output %q", out.String())
	}
	if err := o.logCheck(nil); err != nil {
		t.Fatalf("after a completed write: %v", err)
	}
	o.logWriter.writingSince.Store(time.Now().Add(-2 * logBlockedAfter).UnixNano())
	if err := o.logCheck(nil); !errors.Is(err, errLogBlocked) {
		t.Errorf("with a write stuck for %v: %v, want %v", 2*logBlockedAfter, err, errLogBlocked)
	}
}
