package flowcontrol

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/request"
)

// Wait limits of a queued request: a quarter of the time its deadline leaves, or
// defaultWaitLimit without a deadline, never more than maxWaitLimit.
const (
	defaultWaitLimit = 15 * time.Second
	maxWaitLimit     = time.Minute
)

// WithPriorityAndFairness admits each request through c: exempt requests at once,
// others when their priority level has a seat, rejecting with 429 and Retry-After
// when the level's queue is full or the wait too long. Long-running requests other
// than watches pass unlimited; a watch holds its seat until it starts streaming.
// terminated (may be nil) counts the rejections.
func WithPriorityAndFairness(next http.Handler, c *Controller, terminated filters.Terminated) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		info, ok := request.InfoFrom(ctx)
		u, uok := request.UserFrom(ctx)
		if !ok || !uok {
			http.Error(w, "Internal Server Error: no request info or user", http.StatusInternalServerError)
			return
		}
		isWatch := info.Verb == "watch"
		if !isWatch && filters.IsLongRunning(info) {
			next.ServeHTTP(w, r)
			return
		}
		cls, release, _ := c.Admit(ctx, u, info, waitLimit(ctx))
		setHeaders(w, cls)
		if release == nil {
			tooManyRequests(w, c.RetryAfter(cls.PriorityLevel))
			terminated.Record(r, http.StatusTooManyRequests)
			return
		}
		defer release()
		if isWatch {
			w = initializationWriter(w, release)
		}
		next.ServeHTTP(w, r)
	})
}

func setHeaders(w http.ResponseWriter, cls Classification) {
	w.Header().Set(flowcontrolv1.ResponseHeaderMatchedPriorityLevelConfigurationUID, string(cls.PriorityLevelUID))
	w.Header().Set(flowcontrolv1.ResponseHeaderMatchedFlowSchemaUID, string(cls.FlowSchemaUID))
}

// tooManyRequests answers as upstream's flow control does: plain text, not a Status.
func tooManyRequests(w http.ResponseWriter, retryAfter int64) {
	w.Header().Set("Retry-After", strconv.FormatInt(retryAfter, 10))
	http.Error(w, "Too many requests, please try again later.", http.StatusTooManyRequests)
}

func waitLimit(ctx context.Context) time.Duration {
	limit := defaultWaitLimit
	if d, ok := ctx.Deadline(); ok {
		limit = time.Until(d) / 4
	}
	return min(max(limit, 0), maxWaitLimit)
}

// initWriter calls done the first time the handler writes or flushes: the watch
// is initialized and its seat goes back.
type initWriter struct {
	http.ResponseWriter
	once sync.Once
	done func()
}

func initializationWriter(w http.ResponseWriter, done func()) http.ResponseWriter {
	iw := &initWriter{ResponseWriter: w, done: done}
	if _, ok := w.(http.Hijacker); ok {
		return hijackableInitWriter{iw}
	}
	return iw
}

func (w *initWriter) WriteHeader(code int) {
	w.once.Do(w.done)
	w.ResponseWriter.WriteHeader(code)
}

func (w *initWriter) Write(b []byte) (int, error) {
	w.once.Do(w.done)
	return w.ResponseWriter.Write(b)
}

func (w *initWriter) Flush() {
	w.once.Do(w.done)
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *initWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

type hijackableInitWriter struct{ *initWriter }

func (h hijackableInitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h.once.Do(h.done)
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer does not support hijacking")
	}
	return hj.Hijack()
}
