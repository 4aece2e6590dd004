package filters

import (
	"bufio"
	"errors"
	"net"
	"net/http"
)

// responseRecorder remembers the status code and body size a handler wrote. It stays
// an http.Flusher (watches flush every event batch) and unwraps for
// http.ResponseController.
type responseRecorder struct {
	http.ResponseWriter
	status  int
	written int64
}

// recordResponse wraps w; the returned writer is an http.Hijacker exactly when w is,
// so upgrades (exec, attach, port-forward over HTTP/1.1) keep working and HTTP/2
// handlers do not see a Hijacker that would fail.
func recordResponse(w http.ResponseWriter) (*responseRecorder, http.ResponseWriter) {
	rec := &responseRecorder{ResponseWriter: w}
	if _, ok := w.(http.Hijacker); ok {
		return rec, hijackableRecorder{rec}
	}
	return rec, rec
}

func (r *responseRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *responseRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.written += int64(n)
	return n, err
}

// Flush flushes the wrapped writer when it can.
func (r *responseRecorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *responseRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Status is the code sent, 200 when the handler wrote nothing (net/http's default).
func (r *responseRecorder) Status() int {
	if r.status == 0 {
		return http.StatusOK
	}
	return r.status
}

type hijackableRecorder struct{ *responseRecorder }

// Hijack hands the connection over; a handler that hijacks answers the upgrade
// itself, so the request counts as 101 Switching Protocols.
func (h hijackableRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := h.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("response writer does not support hijacking")
	}
	conn, rw, err := hj.Hijack()
	if err == nil && h.status == 0 {
		h.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}
