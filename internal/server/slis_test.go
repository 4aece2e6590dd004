package server_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestHealthSLIs: the checks a whole health endpoint ran are counted at
// /metrics/slis, as upstream's; an excluded check and a check asked for alone are
// not.
func TestHealthSLIs(t *testing.T) {
	in := servertest.Start(t)
	client := in.HTTPClient(t)
	get := func(path string) string {
		t.Helper()
		code, _, body := fetch(t, client, in.URL+path)
		if code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		return body
	}
	// value is the sample of series in slis, 0 when absent.
	value := func(slis, series string) float64 {
		for _, line := range strings.Split(slis, "\n") {
			if v, ok := strings.CutPrefix(line, series+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				return f
			}
		}
		return 0
	}
	before := get("/metrics/slis") // the start-up's readiness polls are in already
	for _, path := range []string{"/healthz", "/healthz", "/readyz?exclude=etcd", "/livez/etcd"} {
		get(path)
	}
	after := get("/metrics/slis")
	tests := []struct {
		series    string
		wantAdded float64
	}{
		{`kubernetes_healthchecks_total{name="etcd",status="success",type="healthz"}`, 2},
		{`kubernetes_healthchecks_total{name="ping",status="success",type="healthz"}`, 2},
		{`kubernetes_healthchecks_total{name="ping",status="success",type="readyz"}`, 1},
		{`kubernetes_healthchecks_total{name="etcd",status="success",type="readyz"}`, 0},
		{`kubernetes_healthchecks_total{name="etcd-readiness",status="success",type="readyz"}`, 1},
		{`kubernetes_healthchecks_total{name="etcd",status="success",type="livez"}`, 0},
	}
	for _, tc := range tests {
		if added := value(after, tc.series) - value(before, tc.series); added != tc.wantAdded {
			t.Errorf("%s grew by %v, want %v", tc.series, added, tc.wantAdded)
		}
	}
	for _, series := range []string{`kubernetes_healthcheck{name="etcd",type="healthz"}`, `kubernetes_healthcheck{name="shutdown",type="readyz"}`} {
		if got := value(after, series); got != 1 {
			t.Errorf("%s = %v, want 1 (passed)", series, got)
		}
	}
	if !strings.Contains(after, "\nprocess_start_time_seconds ") {
		t.Error("no process_start_time_seconds")
	}
	if strings.Contains(get("/metrics"), "kubernetes_healthcheck") {
		t.Error("/metrics serves the health SLIs; upstream serves them at /metrics/slis only")
	}
}
