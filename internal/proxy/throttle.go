package proxy

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"

	"golang.org/x/time/rate"
)

// maxThrottleBurst bounds the bytes a throttled connection moves at once; a
// smaller rate is its own burst, so that no read or write waits over a second.
const maxThrottleBurst = 32 << 10

// throttledWriter is a ResponseWriter whose hijacked connection is throttled to
// rate bytes a second in each direction (--max-connection-bytes-per-sec): upstream
// limits an upgraded stream's backend connection the same way, both ways.
type throttledWriter struct {
	http.ResponseWriter
	rate int64
}

// Hijack hands out the connection throttled, with buffers over the throttled
// connection; bytes the server had already read are read first.
func (w throttledWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	tc := newThrottledConn(conn, brw.Reader, w.rate)
	return tc, bufio.NewReadWriter(bufio.NewReader(tc), bufio.NewWriter(tc)), nil
}

// Unwrap lets http.ResponseController reach the writer below.
func (w throttledWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// throttledConn reads from r (the connection's buffered reader) and writes to the
// connection, each direction waiting on its own limiter.
type throttledConn struct {
	net.Conn
	r           io.Reader
	read, write *rate.Limiter
}

func newThrottledConn(c net.Conn, r io.Reader, bytesPerSec int64) *throttledConn {
	burst := int(min(bytesPerSec, maxThrottleBurst))
	return &throttledConn{
		Conn:  c,
		r:     r,
		read:  rate.NewLimiter(rate.Limit(bytesPerSec), burst),
		write: rate.NewLimiter(rate.Limit(bytesPerSec), burst),
	}
}

// Read reads at most a burst, then waits until the rate allows what it read.
func (c *throttledConn) Read(p []byte) (int, error) {
	if burst := c.read.Burst(); len(p) > burst {
		p = p[:burst]
	}
	n, err := c.r.Read(p)
	if n > 0 {
		_ = c.read.WaitN(context.Background(), n) // n <= burst: never fails
	}
	return n, err
}

// Write writes p a burst at a time, each once the rate allows it.
func (c *throttledConn) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		chunk := min(len(p), c.write.Burst())
		_ = c.write.WaitN(context.Background(), chunk) // chunk <= burst: never fails
		n, err := c.Conn.Write(p[:chunk])
		written += n
		if err != nil {
			return written, err
		}
		p = p[chunk:]
	}
	return written, nil
}
