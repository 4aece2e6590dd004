package filters

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"sync"
)

// capture keeps the first limit bytes written; more sets overflow and drops them all.
type capture struct {
	limit    int
	buf      []byte
	overflow bool
}

func (c *capture) write(p []byte) {
	if c.overflow {
		return
	}
	if len(c.buf)+len(p) > c.limit {
		c.overflow, c.buf = true, nil
		return
	}
	c.buf = append(c.buf, p...)
}

// teeBody copies what the handler reads of the request body into the audit record.
type teeBody struct {
	io.ReadCloser
	rec *auditRecord
}

func (t *teeBody) Read(p []byte) (int, error) {
	n, err := t.ReadCloser.Read(p)
	if n > 0 {
		t.rec.mu.Lock()
		t.rec.reqBody.write(p[:n])
		t.rec.mu.Unlock()
	}
	return n, err
}

// auditWriter reports the response's status and body to the audit record. Flush,
// Hijack and Unwrap pass through, so watches stream and upgrades work.
type auditWriter struct {
	http.ResponseWriter
	rec  *auditRecord
	once sync.Once
}

var (
	_ http.Flusher  = (*auditWriter)(nil)
	_ http.Hijacker = (*auditWriter)(nil)
)

func (a *auditWriter) started(code int) {
	a.once.Do(func() { a.rec.headerWritten(code, a.Header().Get("Content-Type")) })
}

func (a *auditWriter) WriteHeader(code int) {
	// 1xx informational headers are not the response's status.
	if code >= 200 || code == http.StatusSwitchingProtocols {
		a.started(code)
	}
	a.ResponseWriter.WriteHeader(code)
}

func (a *auditWriter) Write(p []byte) (int, error) {
	a.started(http.StatusOK)
	a.rec.bodyWritten(p)
	return a.ResponseWriter.Write(p)
}

// Flush implements http.Flusher when the underlying writer does.
func (a *auditWriter) Flush() {
	a.started(http.StatusOK)
	if f, ok := a.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Hijack records the protocol switch, as upstream, then hands the connection over.
func (a *auditWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := a.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	a.started(http.StatusSwitchingProtocols)
	return h.Hijack()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (a *auditWriter) Unwrap() http.ResponseWriter { return a.ResponseWriter }
