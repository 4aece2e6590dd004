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

// InFlight counts the requests that are not long-running, so that a shutdown can
// wait for them before it closes the listener. Unlike sync.WaitGroup it may be
// added to while Wait runs.
type InFlight struct {
	mu      sync.Mutex
	n       int
	drained chan struct{} // closed and replaced whenever n drops to 0
}

func (f *InFlight) add(d int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.drained == nil {
		f.drained = make(chan struct{})
	}
	f.n += d
	if f.n == 0 {
		close(f.drained)
		f.drained = make(chan struct{})
	}
}

// Drained returns a channel closed once no counted request is in flight (at once
// when none is).
func (f *InFlight) Drained() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.n == 0 {
		c := make(chan struct{})
		close(c)
		return c
	}
	if f.drained == nil {
		f.drained = make(chan struct{})
	}
	return f.drained
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
