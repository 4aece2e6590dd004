package filters

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/metrics"
)

func TestParseRequestTimeout(t *testing.T) {
	tests := []struct {
		name    string
		query   string
		want    time.Duration
		wantSet bool
		wantErr string
	}{
		{name: "absent", query: ""},
		{name: "empty", query: "timeout="},
		{name: "seconds", query: "timeout=5s", want: 5 * time.Second, wantSet: true},
		{name: "compound", query: "timeout=1m30s", want: 90 * time.Second, wantSet: true},
		{name: "zero", query: "timeout=0s", wantSet: true},
		{name: "negative", query: "timeout=-3s", want: -3 * time.Second, wantSet: true},
		{name: "first value wins", query: "timeout=2s&timeout=bad", want: 2 * time.Second, wantSet: true},
		{name: "no unit", query: "timeout=10", wantErr: `invalid timeout specified in the request URL - time: missing unit in duration "10"`},
		{name: "garbage", query: "timeout=soon", wantErr: `invalid timeout specified in the request URL - time: invalid duration "soon"`},
		{name: "overflow", query: "timeout=99999999999h", wantErr: `invalid timeout specified in the request URL - time: invalid duration "99999999999h"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/api/v1/pods?"+tc.query, nil)
			got, set, err := ParseRequestTimeout(r)
			if tc.wantErr != "" {
				if !apierrors.IsBadRequest(err) || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want BadRequest %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want || set != tc.wantSet {
				t.Fatalf("= %v, %v, %v; want %v, %v", got, set, err, tc.want, tc.wantSet)
			}
		})
	}
}

func FuzzParseRequestTimeout(f *testing.F) {
	for _, s := range []string{"1s", "", "-1ns", "1.5h", "9223372036854775807ns", "1e9s", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		r := httptest.NewRequest("GET", "/api/v1/pods", nil)
		r.URL.RawQuery = "timeout=" + url.QueryEscape(v)
		d, set, err := ParseRequestTimeout(r)
		if err != nil && !apierrors.IsBadRequest(err) {
			t.Fatalf("%q: error %v is not a BadRequest", v, err)
		}
		if err != nil && (set || d != 0) {
			t.Fatalf("%q: an error must come alone", v)
		}
	})
}

// timeoutChain is the server's order: request info, access log (the start time),
// deadline, timeout, then the handler.
func timeoutChain(max time.Duration, h http.Handler) http.Handler {
	h = WithTimeout(h, nil)
	h = WithRequestDeadline(h, max, writeError)
	h = WithAccessLog(h, nil)
	h = WithRequestInfo(h)
	return WithPanicRecovery(h, writeError)
}

// TestRequestDeadline checks the deadline each kind of request gets.
func TestRequestDeadline(t *testing.T) {
	const max = time.Minute
	tests := []struct {
		name         string
		url          string
		wantCode     int
		wantDeadline time.Duration // 0: none
		wantMessage  string
	}{
		{name: "default", url: "/api/v1/pods", wantCode: 200, wantDeadline: max},
		{name: "shorter", url: "/api/v1/pods?timeout=10s", wantCode: 200, wantDeadline: 10 * time.Second},
		{name: "longer is capped", url: "/api/v1/pods?timeout=1h", wantCode: 200, wantDeadline: max},
		{name: "zero means default", url: "/api/v1/pods?timeout=0s", wantCode: 200, wantDeadline: max},
		{name: "negative means default", url: "/api/v1/pods?timeout=-5s", wantCode: 200, wantDeadline: max},
		{name: "non-resource", url: "/version?timeout=20s", wantCode: 200, wantDeadline: 20 * time.Second},
		{name: "watch has none", url: "/api/v1/pods?watch=true&timeout=1s", wantCode: 200},
		{name: "watch ignores a bad timeout", url: "/api/v1/pods?watch=true&timeout=bad", wantCode: 200},
		{name: "log has none", url: "/api/v1/namespaces/ns/pods/p/log?timeout=1s", wantCode: 200},
		{name: "invalid", url: "/api/v1/namespaces/ns/pods?timeout=bad", wantCode: 400,
			wantMessage: `invalid timeout specified in the request URL - time: invalid duration "bad"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var deadline time.Time
			var has bool
			h := timeoutChain(max, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				deadline, has = r.Context().Deadline()
			}))
			start := time.Now()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", tc.url, nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			if tc.wantMessage != "" {
				st := decodeStatus(t, rec)
				if st.Reason != metav1.StatusReasonBadRequest || st.Message != tc.wantMessage || st.Code != 400 {
					t.Fatalf("status = %+v", st)
				}
				return
			}
			if tc.wantDeadline == 0 {
				if has {
					t.Fatalf("long-running request got a deadline %v", deadline)
				}
				return
			}
			if !has {
				t.Fatal("no deadline")
			}
			if d := deadline.Sub(start); d > tc.wantDeadline+time.Second || d < tc.wantDeadline-time.Second {
				t.Fatalf("deadline in %v, want %v", d, tc.wantDeadline)
			}
		})
	}
}

// lateWrite is what a handler saw when it wrote after its request timed out.
type lateWrite struct {
	err    error
	header int // number of header keys visible to the handler
}

// TestTimeoutResponses drives the timeout filter over real HTTP.
func TestTimeoutResponses(t *testing.T) {
	const max = 150 * time.Millisecond
	late := make(chan lateWrite, 1)
	tests := []struct {
		name        string
		url         string
		handler     http.HandlerFunc
		wantCode    int
		wantBody    string
		wantAbort   bool // the connection is cut: the response had begun
		wantLate    bool
		wantHeader  string // a handler header that must (or, with 504, must not) arrive
		handlerSets bool
	}{
		{name: "fast", url: "/api/v1/pods", wantCode: 200, wantBody: "done", wantHeader: "X-Handler", handlerSets: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Handler", "yes")
				_, _ = io.WriteString(w, "done")
			}},
		{name: "slow gets 504", url: "/api/v1/pods", wantCode: 504, wantLate: true, wantHeader: "X-Handler",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("X-Handler", "yes")
				<-r.Context().Done()
				time.Sleep(20 * time.Millisecond) // write after the 504 went out
				w.Header().Set("X-Late", "yes")
				w.WriteHeader(http.StatusCreated)
				_, err := w.Write([]byte("late"))
				w.(http.Flusher).Flush()
				late <- lateWrite{err: err, header: len(w.Header())}
			}},
		{name: "client timeout shorter", url: "/api/v1/pods?timeout=20ms", wantCode: 504, wantLate: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-r.Context().Done():
				case <-time.After(max): // the filter's maximum must not be reached
					t.Error("?timeout=20ms did not shorten the deadline")
				}
				time.Sleep(20 * time.Millisecond)
				_, err := w.Write([]byte("late"))
				late <- lateWrite{err: err}
			}},
		{name: "watch is exempt", url: "/api/v1/pods?watch=true", wantCode: 200, wantBody: "event",
			handler: func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(2 * max)
				_, _ = io.WriteString(w, "event")
			}},
		{name: "exec is exempt", url: "/api/v1/namespaces/ns/pods/p/exec", wantCode: 200, wantBody: "stream",
			handler: func(w http.ResponseWriter, r *http.Request) {
				time.Sleep(2 * max)
				_, _ = io.WriteString(w, "stream")
			}},
		{name: "begun response is aborted", url: "/api/v1/pods", wantAbort: true,
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
				_, _ = io.WriteString(w, "partial")
				w.(http.Flusher).Flush()
				<-r.Context().Done()
			}},
		{name: "panic before timeout is a 500", url: "/api/v1/pods", wantCode: 500,
			handler: func(w http.ResponseWriter, r *http.Request) { panic("boom") }},
		{name: "panic after timeout is contained", url: "/api/v1/pods", wantCode: 504,
			handler: func(w http.ResponseWriter, r *http.Request) {
				<-r.Context().Done()
				panic("late boom")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(timeoutChain(max, tc.handler))
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL + tc.url)
			if tc.wantAbort {
				if err == nil {
					_, err = io.ReadAll(resp.Body)
					resp.Body.Close()
				}
				if err == nil {
					t.Fatal("a response that had begun completed although the request timed out")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("code = %d, want %d: %s", resp.StatusCode, tc.wantCode, body)
			}
			if tc.wantBody != "" && string(body) != tc.wantBody {
				t.Fatalf("body = %q, want %q", body, tc.wantBody)
			}
			if tc.wantHeader != "" && (resp.Header.Get(tc.wantHeader) != "") != tc.handlerSets {
				t.Errorf("header %s = %q", tc.wantHeader, resp.Header.Get(tc.wantHeader))
			}
			if resp.StatusCode == 504 {
				wantTimeoutStatus(t, body)
				if resp.Header.Get("X-Late") != "" {
					t.Error("a late header reached the client")
				}
			}
			if tc.wantLate {
				select {
				case lw := <-late:
					if !errors.Is(lw.err, http.ErrHandlerTimeout) {
						t.Errorf("late write err = %v, want http.ErrHandlerTimeout", lw.err)
					}
				case <-time.After(5 * time.Second):
					t.Fatal("the timed-out handler never finished")
				}
			}
		})
	}
}

// wantTimeoutStatus checks the 504 body is upstream's Status.
func wantTimeoutStatus(t *testing.T, body []byte) {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatalf("504 body %q: %v", body, err)
	}
	if st.Code != 504 || st.Reason != metav1.StatusReasonTimeout || st.Status != metav1.StatusFailure ||
		st.Message != "Timeout: request did not complete within the allotted timeout" {
		t.Fatalf("504 status = %+v", st)
	}
	if !strings.HasSuffix(string(body), "\n") {
		t.Errorf("body %q does not end as upstream's encoder does", body)
	}
}

// TestTimeoutCountsTermination: a 504 the timeout filter answers counts in
// apiserver_request_terminations_total, labelled like apiserver_request_total.
func TestTimeoutCountsTermination(t *testing.T) {
	m := metrics.New()
	h := WithTimeout(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	}), RecordTerminations(m, servedForTest))
	h = WithRequestDeadline(h, 50*time.Millisecond, writeError)
	h = WithAccessLog(h, nil)
	h = WithRequestInfo(h)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/namespaces/ns/configmaps", nil))
	if rec.Code != http.StatusGatewayTimeout {
		t.Fatalf("code %d, want 504", rec.Code)
	}
	labels := map[string]string{"verb": "LIST", "resource": "configmaps", "scope": "namespace", "code": "504", "component": "apiserver"}
	if v, ok := gather(t, m.Registry(), "apiserver_request_terminations_total", labels); !ok || v != 1 {
		t.Fatalf("apiserver_request_terminations_total%v = %v (found %v)", labels, v, ok)
	}
}
