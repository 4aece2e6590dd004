package server

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/filters"
)

// gatedListener holds each accepted connection's first read (the TLS handshake's
// ClientHello) until open is closed, and reports when a connection was accepted
// and when the listener was closed (Shutdown's first step).
type gatedListener struct {
	net.Listener
	open      chan struct{}
	accepted  chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func (l *gatedListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	select {
	case l.accepted <- struct{}{}:
	default:
	}
	return &gatedConn{Conn: c, open: l.open}, nil
}

func (l *gatedListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type gatedConn struct {
	net.Conn
	open <-chan struct{}
}

func (c *gatedConn) Read(b []byte) (int, error) {
	<-c.open
	return c.Conn.Read(b)
}

// startGatedServer serves h over TLS and HTTP/2, its handler counted in handling,
// on a gatedListener.
func startGatedServer(t *testing.T, h http.Handler, handling *filters.InFlight) (*httptest.Server, *gatedListener) {
	t.Helper()
	ts := httptest.NewUnstartedServer(filters.WithRequestCount(h, handling))
	ln := &gatedListener{Listener: ts.Listener, open: make(chan struct{}),
		accepted: make(chan struct{}, 1), closed: make(chan struct{})}
	ts.Listener = ln
	ts.EnableHTTP2 = true
	ts.Config.IdleTimeout = time.Minute
	ts.StartTLS()
	t.Cleanup(ts.Close)
	return ts, ln
}

// idleHTTP2Client opens an HTTP/2 connection to ts that sends no request: the TLS
// handshake, the client preface and an empty SETTINGS frame. It then reads until
// the server closes the connection, and sends the read's error.
func idleHTTP2Client(ts *httptest.Server, closed chan<- error) {
	cfg := ts.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.NextProtos = []string{"h2"}
	conn, err := tls.Dial("tcp", ts.Listener.Addr().String(), cfg)
	if err != nil {
		closed <- err
		return
	}
	defer conn.Close()
	const preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
	emptySettings := []byte{0, 0, 0, 4, 0, 0, 0, 0, 0} // length 0, type SETTINGS, stream 0
	if _, err := conn.Write(append([]byte(preface), emptySettings...)); err != nil {
		closed <- err
		return
	}
	_, err = io.Copy(io.Discard, conn)
	closed <- err
}

// TestShutdownHTTPClosesConnectionsAcceptedDuringShutdown has a client whose TLS
// handshake completes only after Shutdown began and who sends no request, as a
// client that has just reconnected: Go's HTTP/2 server never tells its connection
// to go away, and srv.Shutdown alone waits for the idle timeout (a minute here).
// shutdownHTTP must close it once no request has been in flight for the grace.
func TestShutdownHTTPClosesConnectionsAcceptedDuringShutdown(t *testing.T) {
	var handling filters.InFlight
	ts, ln := startGatedServer(t, http.NotFoundHandler(), &handling)
	clientDone := make(chan error, 1)
	go idleHTTP2Client(ts, clientDone)
	<-ln.accepted

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- shutdownHTTP(ctx, ts.Config, &handling, 200*time.Millisecond) }()
	<-ln.closed
	time.Sleep(50 * time.Millisecond) // the HTTP/2 server has told the connections it knew
	close(ln.open)
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdownHTTP = %v", err)
		}
		if took := time.Since(start); took < 200*time.Millisecond || took > 10*time.Second {
			t.Errorf("shutdownHTTP took %v, want the grace and little more", took)
		}
	case <-ctx.Done():
		t.Fatal("shutdownHTTP still waits for the idle HTTP/2 connection")
	}
	select {
	case <-clientDone: // the connection is closed
	case <-time.After(10 * time.Second):
		t.Error("the client's connection is still open")
	}
}

// TestShutdownHTTPWaitsForRequestsInFlight checks that the connections are closed
// only once no request is in flight, however long one takes past the grace.
func TestShutdownHTTPWaitsForRequestsInFlight(t *testing.T) {
	var handling filters.InFlight
	started, release := make(chan struct{}), make(chan struct{})
	ts, ln := startGatedServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		_, _ = io.WriteString(w, "done")
	}), &handling)
	close(ln.open)
	client := ts.Client()
	got := make(chan string, 1)
	go func() {
		resp, err := client.Get(ts.URL)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(body)
	}()
	<-started

	done := make(chan error, 1)
	go func() { done <- shutdownHTTP(context.Background(), ts.Config, &handling, 50*time.Millisecond) }()
	select {
	case err := <-done:
		t.Fatalf("shutdownHTTP returned %v with a request in flight", err)
	case <-time.After(500 * time.Millisecond): // ten graces
	}
	close(release)
	if body := <-got; body != "done" {
		t.Errorf("the request in flight got %q, want its whole answer", body)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("shutdownHTTP = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("shutdownHTTP did not return once the request was done")
	}
}
