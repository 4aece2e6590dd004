package flowcontrol

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// blockingHandler holds requests until release is closed, signalling each start.
func blockingHandler(started chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- struct{}{}
		<-release
	})
}

func withIdentity(r *http.Request, info *request.Info, u *request.User) *http.Request {
	ctx := request.WithInfo(r.Context(), info)
	if u != nil {
		ctx = request.WithUser(ctx, u)
	}
	return r.WithContext(ctx)
}

func TestMaxInFlightLimit(t *testing.T) {
	list := &request.Info{IsResourceRequest: true, Verb: "list", Resource: "pods"}
	create := &request.Info{IsResourceRequest: true, Verb: "create", Resource: "pods"}
	watchReq := &request.Info{IsResourceRequest: true, Verb: "watch", Resource: "pods"}
	exec := &request.Info{IsResourceRequest: true, Verb: "create", Resource: "pods", Subresource: "exec"}
	alice := &request.User{Name: "alice"}
	admin := &request.User{Name: "admin", Groups: []string{"system:masters"}}
	tests := []struct {
		name     string
		info     *request.Info
		user     *request.User
		wantCode int
	}{
		{"second read-only rejected", list, alice, http.StatusTooManyRequests},
		{"mutating has its own limit", create, alice, http.StatusOK},
		{"watch is long-running", watchReq, alice, http.StatusOK},
		{"exec is long-running", exec, alice, http.StatusOK},
		{"system:masters is never limited", list, admin, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started, release := make(chan struct{}, 1), make(chan struct{})
			occupy := true
			var terminated []int
			h := WithMaxInFlightLimit(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if occupy {
					occupy = false
					started <- struct{}{}
					<-release
				}
			}), 1, 1, func(_ *http.Request, code int) { terminated = append(terminated, code) })
			done := make(chan struct{})
			go func() {
				defer close(done)
				h.ServeHTTP(httptest.NewRecorder(), withIdentity(httptest.NewRequest("GET", "/api/v1/pods", nil), list, alice))
			}()
			<-started
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, withIdentity(httptest.NewRequest("GET", "/api/v1/pods", nil), tt.info, tt.user))
			close(release)
			<-done
			if rec.Code != tt.wantCode {
				t.Fatalf("got %d, want %d", rec.Code, tt.wantCode)
			}
			// Rejections count as terminations (apiserver_request_terminations_total).
			if wantTerminated := tt.wantCode == http.StatusTooManyRequests; wantTerminated != (len(terminated) == 1 && terminated[0] == tt.wantCode) {
				t.Errorf("terminations %v for a %d", terminated, rec.Code)
			}
			if tt.wantCode == http.StatusTooManyRequests {
				if ra := rec.Header().Get("Retry-After"); ra != "1" {
					t.Errorf("Retry-After %q, want 1", ra)
				}
				if !strings.Contains(rec.Body.String(), "Too many requests") {
					t.Errorf("body %q", rec.Body.String())
				}
			}
		})
	}
}

// TestWatchReleasesSeatWhenStreaming shows a watch gives its seat back once it
// writes its response header, so that another request of a one-seat level runs
// while the watch is still open.
func TestWatchReleasesSeatWhenStreaming(t *testing.T) {
	c := New(Config{ServerConcurrencyLimit: 1})
	user := &request.User{Name: "odd"} // catch-all: one seat, Reject
	streaming, endWatch := make(chan struct{}), make(chan struct{})
	h := WithPriorityAndFairness(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.InfoFrom(r.Context())
		if info.Verb == "watch" {
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			close(streaming)
			<-endWatch
		}
	}), c, nil)
	watchInfo := &request.Info{IsResourceRequest: true, Verb: "watch", Resource: "pods"}
	getInfo := &request.Info{IsResourceRequest: true, Verb: "get", Resource: "pods", Namespace: "x", Name: "p"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), withIdentity(httptest.NewRequest("GET", "/api/v1/pods?watch=1", nil), watchInfo, user))
	}()
	select {
	case <-streaming:
	case <-time.After(5 * time.Second):
		t.Fatal("watch never started")
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, withIdentity(httptest.NewRequest("GET", "/api/v1/namespaces/x/pods/p", nil), getInfo, user))
	close(endWatch)
	<-done
	if rec.Code != http.StatusOK {
		t.Fatalf("request after the watch initialized got %d", rec.Code)
	}
	if rec.Header().Get("X-Kubernetes-PF-FlowSchema-UID") != "" {
		// The imagined catch-all schema has no UID; the header is still set.
		t.Errorf("unexpected FlowSchema UID %q", rec.Header().Get("X-Kubernetes-PF-FlowSchema-UID"))
	}
	if _, ok := rec.Header()["X-Kubernetes-Pf-Flowschema-Uid"]; !ok {
		t.Error("X-Kubernetes-PF-FlowSchema-UID header not set")
	}
}

func TestRejectedWithRetryAfter(t *testing.T) {
	c := New(Config{ServerConcurrencyLimit: 1})
	user := &request.User{Name: "odd"}
	started, release := make(chan struct{}, 1), make(chan struct{})
	h := WithPriorityAndFairness(blockingHandler(started, release), c, nil)
	info := &request.Info{IsResourceRequest: true, Verb: "list", Resource: "pods"}
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.ServeHTTP(httptest.NewRecorder(), withIdentity(httptest.NewRequest("GET", "/api/v1/pods", nil), info, user))
	}()
	<-started
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, withIdentity(httptest.NewRequest("GET", "/api/v1/pods", nil), info, user))
	close(release)
	<-done
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "1" {
		t.Fatalf("got %d Retry-After %q, want 429 with 1", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestWaitLimit(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if got := waitLimit(ctx); got < 14*time.Second || got > 15*time.Second {
		t.Errorf("60s deadline: wait limit %v, want about 15s", got)
	}
	if got := waitLimit(context.Background()); got != defaultWaitLimit {
		t.Errorf("no deadline: %v", got)
	}
}

func TestRetryAfterGrowsUnderSustainedDrops(t *testing.T) {
	now := time.Unix(1000, 0)
	r := newRetryAfter(func() time.Time { return now })
	for s := 0; s < 10; s++ {
		for i := 0; i < 50; i++ {
			r.dropped("l")
		}
		now = now.Add(time.Second)
	}
	if got := r.seconds("l"); got <= 1 {
		t.Errorf("retry-after %d after sustained drops, want more than 1", got)
	}
	if got := r.seconds("other"); got != 1 {
		t.Errorf("untouched level: %d", got)
	}
}
