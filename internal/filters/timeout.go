package filters

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/request"
)

// invalidTimeoutMessage begins the 400 answer to an unparsable ?timeout=.
const invalidTimeoutMessage = "invalid timeout specified in the request URL"

// ParseRequestTimeout reads the ?timeout= query parameter (a Go duration). set is
// false when the client gave none; err is the 400 kube-apiserver answers for a value
// that does not parse.
func ParseRequestTimeout(r *http.Request) (timeout time.Duration, set bool, err error) {
	v := r.URL.Query().Get("timeout")
	if v == "" {
		return 0, false, nil
	}
	d, perr := time.ParseDuration(v)
	if perr != nil {
		return 0, false, apierrors.NewBadRequest(fmt.Sprintf("%s - %s", invalidTimeoutMessage, perr))
	}
	return d, true, nil
}

// WithRequestDeadline gives every request that is not long-running a context
// deadline: max after the request arrived, or the client's ?timeout= when that is
// positive and shorter. Clients can only shorten it. It runs before authentication,
// as upstream's, so even an anonymous request with a bad ?timeout= gets the 400.
func WithRequestDeadline(next http.Handler, max time.Duration, writeError ErrorWriter) http.Handler {
	if max <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		info, _ := request.InfoFrom(ctx)
		if IsLongRunning(info) {
			next.ServeHTTP(w, r)
			return
		}
		timeout, set, err := ParseRequestTimeout(r)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if !set || timeout <= 0 || timeout > max {
			timeout = max
		}
		ctx, cancel := context.WithDeadline(ctx, requestStart(ctx).Add(timeout))
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// WithTimeout answers 504 Timeout when a request that is not long-running is still
// running as its context ends (the deadline WithRequestDeadline set, or the client
// went away). The handler goes on in its own goroutine until it notices its context;
// whatever it writes after the 504 is discarded. terminated (may be nil) counts the
// 504s.
func WithTimeout(next http.Handler, terminated Terminated) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info, _ := request.InfoFrom(r.Context())
		if IsLongRunning(info) {
			next.ServeHTTP(w, r)
			return
		}
		tw, wrapped := newTimeoutWriter(w)
		// Buffered, so that a handler finishing after the timeout never blocks.
		result := make(chan any, 1)
		inner := r.Clone(r.Context())
		go func() {
			growStack()
			defer func() {
				p := recover()
				if p != nil && p != http.ErrAbortHandler {
					p = fmt.Sprintf("%v\n%s", p, debug.Stack())
				}
				result <- p
			}()
			next.ServeHTTP(wrapped, inner)
		}()
		select {
		case p := <-result:
			if p != nil {
				panic(p) // WithPanicRecovery answers 500, or the connection aborts
			}
		case <-r.Context().Done():
			go logLateHandler(r.Method, r.URL.Path, result)
			tw.timeout()
			terminated.Record(r, http.StatusGatewayTimeout)
		}
	})
}

// logLateHandler waits for a timed-out handler and logs how long it ran on.
func logLateHandler(method, path string, result <-chan any) {
	timedOutAt := time.Now()
	p := <-result
	if p != nil && p != http.ErrAbortHandler {
		slog.Error("handler panicked after its request timed out", "method", method, "path", path, "panic", p)
		return
	}
	slog.Debug("post-timeout activity", "method", method, "path", path, "after", time.Since(timedOutAt))
}

// timeoutWriter stands between a handler running in its own goroutine and the real
// response writer, which only the serving goroutine may use once it has answered.
type timeoutWriter struct {
	w http.ResponseWriter
	// mu guards every field below and every use of w.
	mu sync.Mutex
	// header is the handler's own header map, copied to w when it first writes, so
	// that headers of a handler that timed out never reach the 504.
	header      http.Header
	timedOut    bool
	wroteHeader bool
	hijacked    bool
}

// newTimeoutWriter wraps w; the returned writer is an http.Hijacker exactly when w is.
func newTimeoutWriter(w http.ResponseWriter) (*timeoutWriter, http.ResponseWriter) {
	tw := &timeoutWriter{w: w, header: w.Header().Clone()}
	if _, ok := w.(http.Hijacker); ok {
		return tw, hijackableTimeoutWriter{tw}
	}
	return tw, tw
}

// Header returns the handler's headers; after the timeout a throwaway map, so that a
// late handler never shares a map with the serving goroutine.
func (tw *timeoutWriter) Header() http.Header {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return http.Header{}
	}
	return tw.header
}

// startLocked sends the handler's headers; callers hold mu.
func (tw *timeoutWriter) startLocked() {
	if tw.wroteHeader {
		return
	}
	dst := tw.w.Header()
	for k, v := range tw.header {
		dst[k] = v
	}
	tw.wroteHeader = true
}

func (tw *timeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut || tw.wroteHeader || tw.hijacked {
		return
	}
	tw.startLocked()
	tw.w.WriteHeader(code)
}

func (tw *timeoutWriter) Write(b []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	switch {
	case tw.timedOut:
		return 0, http.ErrHandlerTimeout
	case tw.hijacked:
		return 0, http.ErrHijacked
	}
	tw.startLocked()
	return tw.w.Write(b)
}

// Flush flushes what the handler wrote, unless the request timed out.
func (tw *timeoutWriter) Flush() {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut || tw.hijacked {
		return
	}
	tw.startLocked()
	if f, ok := tw.w.(http.Flusher); ok {
		f.Flush()
	}
}

// timeout answers 504 unless the handler already began its answer, in which case
// the connection is aborted: a half-written response cannot become a Status.
func (tw *timeoutWriter) timeout() {
	tw.mu.Lock()
	tw.timedOut = true
	started := tw.wroteHeader || tw.hijacked
	if !started {
		st := apierrors.NewTimeoutError("request did not complete within the allotted timeout", 0).ErrStatus
		tw.w.WriteHeader(http.StatusGatewayTimeout)
		_ = json.NewEncoder(tw.w).Encode(&st)
	}
	tw.mu.Unlock()
	if started {
		panic(http.ErrAbortHandler)
	}
}

type hijackableTimeoutWriter struct{ *timeoutWriter }

// Hijack hands the connection to the handler unless the request already timed out.
func (h hijackableTimeoutWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.timedOut {
		return nil, nil, http.ErrHandlerTimeout
	}
	conn, rw, err := h.w.(http.Hijacker).Hijack()
	if err == nil {
		h.hijacked = true
	}
	return conn, rw, err
}
