// Package writebatch gathers the small writes a connection receives close together
// into one write to the network.
//
// Go's HTTP/2 server flushes its connection after every frame it writes, so a
// thousand watchers spread over a few connections cost a thousand TLS records and a
// thousand write syscalls per event, and a unary response two (its HEADERS frame,
// then its DATA frame). On loopback a write syscall also runs the receiver's TCP
// processing; it was a quarter of the server's CPU while fanning events out. Under
// TLS, each flush is one record; a Conn from Listener sits below TLS and sends the
// records written while its previous write was pending, or before its flusher got
// to run, in one syscall.
//
// A Write returns once its bytes are queued; the bytes reach the network moments
// later, in order. A large write (a LIST's records) that finds no send in progress
// goes out at once, after what is queued, in one vectored write: it is not copied,
// and a small record queued before it (an HTTP/2 frame's 9-byte tail record) does
// not send it through the queue. A write error is sticky: every later Write
// returns it. Close sends what is queued first.
package writebatch

import (
	"net"
	"os"
	"runtime"
	"sync"
	"time"
)

const (
	// directWrite is the size from which a write goes straight to the network when
	// nothing is queued: a full TLS record gains nothing from company.
	directWrite = 16 << 10
	// maxQueued bounds the bytes queued behind a write in progress; a Write beyond
	// it waits, as it would have waited on a full socket buffer.
	maxQueued = 256 << 10
	// poolBuffer is the largest queue buffer kept for another burst; a larger one
	// is left to the collector.
	poolBuffer = 64 << 10
)

// buffers holds queue buffers between bursts, shared by all connections, so an idle
// connection keeps none.
var buffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuffer() []byte { return (*buffers.Get().(*[]byte))[:0] }

func putBuffer(b []byte) {
	if cap(b) > 0 && cap(b) <= poolBuffer {
		b = b[:0]
		buffers.Put(&b)
	}
}

// closeFlushTimeout bounds how long Close waits for queued bytes a peer does not
// read before it closes the connection under them (a variable for tests).
var closeFlushTimeout = 5 * time.Second

// Listener wraps ln's connections in Conns.
func Listener(ln net.Listener) net.Listener { return listener{ln} }

type listener struct{ net.Listener }

func (l listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return New(c), nil
}

// New wraps c so that its writes are batched.
func New(c net.Conn) net.Conn {
	b := &Conn{Conn: c}
	b.cond.L = &b.mu
	return b
}

// Conn is a net.Conn whose writes are queued and sent together by a flusher.
type Conn struct {
	net.Conn

	mu   sync.Mutex
	cond sync.Cond // signalled when a send finishes
	// queued holds the bytes waiting to be sent; spare is the buffer of the send in
	// progress, the next queue's. Both go back to buffers when the queue empties.
	queued, spare []byte
	// inSend is true while one goroutine owns the network side: the flusher, or a
	// large Write sending the queue and itself. Whoever owns it sends the queue
	// until it is empty before letting go, so bytes leave in the order written.
	inSend bool
	// flushPending is true from a flusher's start until it takes the lock; a
	// large Write may send the queue before it does.
	flushPending bool
	// direct is true while a large Write sends; a Close then means to break it,
	// as a Close during a Write of a plain connection does.
	direct bool
	err    error // the first write error, returned by every later Write
	closed bool
	// deadline is the write deadline: a Write after it fails at once, as on the
	// connection itself.
	deadline time.Time
}

// Write queues p and starts a flusher when none is pending or sending. A large p
// that finds no send in progress is sent at once, after the queue, in one
// vectored write and without being copied.
func (c *Conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for c.err == nil && !c.closed && len(c.queued) >= maxQueued {
		c.cond.Wait()
	}
	switch {
	case c.err != nil:
		return 0, c.err
	case c.closed:
		return 0, net.ErrClosed
	case !c.deadline.IsZero() && !time.Now().Before(c.deadline):
		return 0, os.ErrDeadlineExceeded
	}
	if len(p) >= directWrite && !c.inSend {
		return c.sendWith(p)
	}
	if c.queued == nil {
		c.queued = getBuffer()
	}
	c.queued = append(c.queued, p...)
	if !c.inSend && !c.flushPending {
		c.flushPending = true
		go c.flush()
	}
	return len(p), nil
}

// sendWith sends the queue and then p, then what was queued meanwhile. c.mu is
// held, and released during the sends.
func (c *Conn) sendWith(p []byte) (int, error) {
	c.inSend, c.direct = true, true
	queued := c.queued
	c.queued = c.spare
	c.mu.Unlock()
	bufs := net.Buffers{queued, p}
	sent, err := bufs.WriteTo(c.Conn)
	c.mu.Lock()
	c.direct = false
	c.spare = queued[:0]
	if err != nil {
		c.fail(err)
	}
	c.sendQueued()
	return int(min(max(sent-int64(len(queued)), 0), int64(len(p)))), err
}

// flush sends the queue once the goroutines ready to run have had their turn, so
// that the frames they write join this send.
func (c *Conn) flush() {
	runtime.Gosched()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.flushPending = false
	if !c.inSend { // else the goroutine sending sends the queue too
		c.sendQueued()
	}
	c.cond.Broadcast()
}

// sendQueued sends the queue until it is empty, then lets go of the network side.
// c.mu is held, and released during each send.
func (c *Conn) sendQueued() {
	c.inSend = true
	for len(c.queued) > 0 && c.err == nil {
		out := c.queued
		c.queued = c.spare
		c.mu.Unlock()
		_, err := c.Conn.Write(out)
		c.mu.Lock()
		if err != nil {
			c.fail(err)
		}
		c.spare = out[:0]
		c.cond.Broadcast()
	}
	if len(c.queued) == 0 || c.err != nil {
		putBuffer(c.queued)
		putBuffer(c.spare)
		c.queued, c.spare = nil, nil
	}
	c.inSend = false
	c.cond.Broadcast()
}

// busy reports whether bytes are being sent or a flusher is on its way.
func (c *Conn) busy() bool { return c.inSend || c.flushPending }

func (c *Conn) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// SetWriteDeadline sends what is queued before the deadline changes: crypto/tls sets
// a deadline of now after its close_notify alert so that later writes fail, which
// must not fail the writes made before it.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.drain(t)
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline is SetWriteDeadline for both directions.
func (c *Conn) SetDeadline(t time.Time) error {
	c.drain(t)
	return c.Conn.SetDeadline(t)
}

// drain waits until the queue is sent, at most closeFlushTimeout for a peer that
// does not read, and records the next deadline. It does not wait for a large
// Write's own send, whose deadline the caller may well be changing to end it.
func (c *Conn) drain(next time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waitSent(func() {})
	c.deadline = next
}

// waitSent waits, c.mu held, until nothing is queued or being sent, at most
// closeFlushTimeout, after which it calls onTimeout and stops waiting. It does not
// wait for a large Write's own send (see direct).
func (c *Conn) waitSent(onTimeout func()) {
	if c.direct || !c.busy() {
		return
	}
	timedOut := false
	timer := time.AfterFunc(closeFlushTimeout, func() {
		onTimeout()
		c.mu.Lock()
		timedOut = true
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	for c.busy() && !c.direct && !timedOut {
		c.cond.Wait()
	}
}

// Close sends what is queued, waiting at most closeFlushTimeout for a peer that
// does not read, then closes the connection. During a large Write's own send it
// closes at once, which ends that Write.
func (c *Conn) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return net.ErrClosed
	}
	c.closed = true
	// Closing the connection under a send the peer does not read ends it.
	c.waitSent(func() { _ = c.Conn.Close() })
	c.mu.Unlock()
	return c.Conn.Close()
}
