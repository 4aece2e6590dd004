package filters

import (
	"net/http"
	"strings"
	"sync"

	"github.com/kapi-dev/kapi/internal/request"
)

// shuttingDownMessage is the plain-text body of upstream's shutdown 429.
const shuttingDownMessage = "The apiserver is shutting down, please try again later."

// retryAfterExemptPrefixes are served to the very end of a shutdown: load balancers
// and monitoring must still see the server's state while it drains.
var retryAfterExemptPrefixes = []string{"/readyz", "/livez", "/healthz", "/metrics"}

// IsExemptFromRetryAfter reports whether a request is answered normally even after
// the server stopped accepting new requests: health checks, metrics and the
// server's own loopback clients (user agent "kube-apiserver/...", as upstream
// recognises them before authentication).
func IsExemptFromRetryAfter(r *http.Request) bool {
	if strings.HasPrefix(r.UserAgent(), "kube-apiserver/") {
		return true
	}
	for _, p := range retryAfterExemptPrefixes {
		if strings.HasPrefix(r.URL.Path, p) {
			return true
		}
	}
	return false
}

// WithRetryAfter implements --shutdown-send-retry-after: once notAccepting is
// closed, every new request that is not exempt gets upstream's 429 with
// "Retry-After: 5" and "Connection: close", so that clients go to another
// instance while this one drains its in-flight requests with the listener still
// open (a closed listener would answer "connection refused" instead).
func WithRetryAfter(h http.Handler, notAccepting <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-notAccepting:
		default:
			h.ServeHTTP(w, r)
			return
		}
		if IsExemptFromRetryAfter(r) {
			h.ServeHTTP(w, r)
			return
		}
		// On HTTP/2 net/http turns "Connection: close" into a GOAWAY.
		w.Header().Set("Connection", "close")
		w.Header().Set("Retry-After", "5")
		http.Error(w, shuttingDownMessage, http.StatusTooManyRequests)
	})
}

// InFlight counts requests, so that a shutdown can wait for them. Unlike
// sync.WaitGroup it may be added to while a wait runs.
type InFlight struct {
	mu sync.Mutex
	n  int
	// drained is closed when n drops to 0; made only while someone waits.
	drained chan struct{}
}

// closedChan is what Drained returns when nothing is in flight.
var closedChan = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (f *InFlight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n += d
	if f.n == 0 && f.drained != nil {
		close(f.drained)
		f.drained = nil
	}
}

// Drained returns a channel closed once no counted request is in flight (at once
// when none is).
func (f *InFlight) Drained() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		return closedChan
	}
	if f.drained == nil {
		f.drained = make(chan struct{})
	}
	return f.drained
}

// WithRequestCount counts every request, long-running ones included, in f.
func WithRequestCount(h http.Handler, f *InFlight) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.add(1)
		defer f.add(-1)
		h.ServeHTTP(w, r)
	})
}

// WithInFlight counts requests that are neither long-running nor exempt from
// WithRetryAfter (the same exemption, or the drain could wait on requests that
// are never refused). It needs the request info in the context.
func WithInFlight(h http.Handler, f *InFlight) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.InfoFrom(r.Context())
		if IsLongRunning(info) || IsExemptFromRetryAfter(r) {
			h.ServeHTTP(w, r)
			return
		}
		f.add(1)
		defer f.add(-1)
		h.ServeHTTP(w, r)
	})
}
