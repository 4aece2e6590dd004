package writebatch

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// pair returns the two ends of a loopback TCP connection: the server end wrapped
// by a Listener, and the client end.
func pair(t testing.TB) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	bl := Listener(ln)
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := bl.Accept()
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	server = <-accepted
	t.Cleanup(func() { server.Close(); client.Close() })
	return server, client
}

func TestWritesArriveInOrder(t *testing.T) {
	sizes := func(n ...int) []int { return n }
	cases := []struct {
		name  string
		sizes []int
	}{
		{"small writes", sizes(1, 10, 100, 1000, 7, 3, 4096, 9)},
		{"large writes", sizes(directWrite, 3*directWrite, maxQueued+1, 1<<20)},
		{"large among small", sizes(5, directWrite, 5, 5, 2*directWrite, 1, maxQueued, 3)},
		{"more than the queue holds", slices.Repeat([]int{directWrite - 1}, 40)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			server, client := pair(t)
			var want bytes.Buffer
			for i, n := range tc.sizes {
				want.Write(bytes.Repeat([]byte{byte('a' + i%26)}, n))
			}
			got := make(chan []byte)
			go func() {
				b, _ := io.ReadAll(client)
				got <- b
			}()
			written := want.Bytes()
			for _, n := range tc.sizes {
				if k, err := server.Write(written[:n]); k != n || err != nil {
					t.Fatalf("Write(%d bytes) = %d, %v", n, k, err)
				}
				written = written[n:]
			}
			if err := server.Close(); err != nil {
				t.Fatal(err)
			}
			if b := <-got; !bytes.Equal(b, want.Bytes()) {
				t.Fatalf("received %d bytes, not the %d written in order", len(b), want.Len())
			}
		})
	}
}

// TestConcurrentWritesStayWhole writes numbered records from many goroutines: each
// Write must arrive whole, and each goroutine's records in the order written.
func TestConcurrentWritesStayWhole(t *testing.T) {
	const writers, records, size = 16, 200, 64
	server, client := pair(t)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rec := make([]byte, size)
			for i := range records {
				binary.BigEndian.PutUint32(rec[0:], uint32(w))
				binary.BigEndian.PutUint32(rec[4:], uint32(i))
				for j := 8; j < size; j++ {
					rec[j] = byte(w + i)
				}
				if _, err := server.Write(rec); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	go func() { wg.Wait(); server.Close() }()

	next := make([]int, writers)
	rec := make([]byte, size)
	for range writers * records {
		if _, err := io.ReadFull(client, rec); err != nil {
			t.Fatalf("after %v records: %v", next, err)
		}
		w, i := int(binary.BigEndian.Uint32(rec[0:])), int(binary.BigEndian.Uint32(rec[4:]))
		if w >= writers || i != next[w] || !bytes.Equal(rec[8:], bytes.Repeat([]byte{byte(w + i)}, size-8)) {
			t.Fatalf("record of writer %d number %d, want number %d, whole", w, i, next[w])
		}
		next[w]++
	}
	if n, err := client.Read(rec); err != io.EOF {
		t.Fatalf("after the last record: %d bytes, %v; want EOF", n, err)
	}
}

// gatedConn holds its first Write until gate is closed and counts its Writes.
type gatedConn struct {
	net.Conn
	gate   chan struct{}
	writes atomic.Int32
}

func (g *gatedConn) Write(p []byte) (int, error) {
	if g.writes.Add(1) == 1 {
		<-g.gate
	}
	return g.Conn.Write(p)
}

// TestWritesQueuedDuringASendShareTheNext shows the point of the package: writes
// made while a send is in progress leave together in one send.
func TestWritesQueuedDuringASendShareTheNext(t *testing.T) {
	server, client := pair(t)
	gated := &gatedConn{Conn: server.(*Conn).Conn, gate: make(chan struct{})}
	c := New(gated)
	const writes = 100
	for i := range writes {
		if _, err := fmt.Fprintf(c, "%03d;", i); err != nil {
			t.Fatal(err)
		}
	}
	close(gated.gate)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(client)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), ";"); got != writes || !strings.HasPrefix(string(b), "000;001;") {
		t.Fatalf("received %d of %d writes: %.40q", got, writes, b)
	}
	// The first send (of the writes queued before the flusher ran) held the gate;
	// the writes after it waited in the queue and went in one send.
	if n := gated.writes.Load(); n > 2 {
		t.Fatalf("%d sends for %d writes, want at most 2", n, writes)
	}
}

// countingConn counts the bytes written to it.
type countingConn struct {
	net.Conn
	bytes atomic.Int64
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.bytes.Add(int64(n))
	return n, err
}

// TestLargeWriteSendsTheQueueAtOnce: a large write that finds a flusher scheduled
// but not yet sending (an HTTP/2 frame's small tail record before it) sends the
// queue and itself before it returns, rather than being copied behind the flusher.
func TestLargeWriteSendsTheQueueAtOnce(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1)) // the flusher cannot run before the Writes return
	server, client := pair(t)
	go io.Copy(io.Discard, client)
	counted := &countingConn{Conn: server.(*Conn).Conn}
	c := New(counted)
	small, large := make([]byte, 9), make([]byte, directWrite)
	for i := range 20 {
		if _, err := c.Write(small); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Write(large); err != nil {
			t.Fatal(err)
		}
		if got, want := counted.bytes.Load(), int64((i+1)*(len(small)+len(large))); got != want {
			t.Fatalf("after write pair %d: %d bytes sent, want %d (the large write waited in the queue)", i, got, want)
		}
	}
}

func TestCloseEndsASendThePeerDoesNotRead(t *testing.T) {
	old := closeFlushTimeout
	closeFlushTimeout = 100 * time.Millisecond
	t.Cleanup(func() { closeFlushTimeout = old })
	server, _ := pair(t) // the client end is never read

	writeErr := make(chan error, 1)
	go func() {
		chunk := make([]byte, 4096)
		for {
			if _, err := server.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	// Let the socket buffers and the queue fill, so the writer blocks.
	time.Sleep(300 * time.Millisecond)
	closed := make(chan error, 1)
	go func() { closed <- server.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close still waits for a peer that does not read")
	}
	select {
	case err := <-writeErr:
		if err == nil {
			t.Fatal("the blocked Write ended without an error")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the blocked Write did not end after Close")
	}
}

func TestWriteErrorIsSticky(t *testing.T) {
	server, client := pair(t)
	client.(*net.TCPConn).SetLinger(0) // closing resets the connection
	client.Close()
	var first error
	deadline := time.Now().Add(10 * time.Second)
	for first == nil && time.Now().Before(deadline) {
		_, first = server.Write([]byte("after the peer left"))
		time.Sleep(time.Millisecond)
	}
	if first == nil {
		t.Fatal("writes to a reset connection kept succeeding")
	}
	for _, n := range []int{1, directWrite} {
		if _, err := server.Write(make([]byte, n)); !errors.Is(err, first) {
			t.Fatalf("Write of %d bytes after a failed send: %v, want %v", n, err, first)
		}
	}
	if err := server.Close(); err != nil {
		t.Fatalf("Close after a failed send: %v", err)
	}
	if _, err := server.Write([]byte("x")); err == nil {
		t.Fatal("Write after Close succeeded")
	}
}

// TestDeadlineOfNowKeepsEarlierWrites: crypto/tls sets a write deadline of now
// after its close_notify alert; the writes queued before it must still arrive, and
// only the writes after it fail.
func TestDeadlineOfNowKeepsEarlierWrites(t *testing.T) {
	for _, set := range []struct {
		name string
		set  func(net.Conn, time.Time) error
	}{
		{"SetWriteDeadline", net.Conn.SetWriteDeadline},
		{"SetDeadline", net.Conn.SetDeadline},
	} {
		t.Run(set.name, func(t *testing.T) {
			server, client := pair(t)
			const writes = 50
			for i := range writes {
				if _, err := fmt.Fprintf(server, "%03d;", i); err != nil {
					t.Fatal(err)
				}
			}
			if err := set.set(server, time.Now()); err != nil {
				t.Fatal(err)
			}
			if _, err := server.Write([]byte("late")); !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Fatalf("Write after the deadline: %v, want a deadline error", err)
			}
			got := make([]byte, 4*writes)
			if _, err := io.ReadFull(client, got); err != nil {
				t.Fatalf("the writes before the deadline: %v", err)
			}
			if !strings.HasPrefix(string(got), "000;001;") || !strings.HasSuffix(string(got), "049;") {
				t.Fatalf("received %.20q...", got)
			}
			if err := set.set(server, time.Time{}); err != nil {
				t.Fatal(err)
			}
			if _, err := server.Write([]byte("again")); err != nil {
				t.Fatalf("Write once the deadline is lifted: %v", err)
			}
		})
	}
}

// TestTLSCloseWriteDeliversWhatWasWritten is a proxied exec stream's end: many small
// TLS writes, then CloseWrite (close_notify, and a deadline of now). The peer reads
// every byte, then EOF.
func TestTLSCloseWriteDeliversWhatWasWritten(t *testing.T) {
	srv := httptest.NewUnstartedServer(nil)
	srv.StartTLS() // for its certificate and a client that trusts it
	defer srv.Close()
	server, client := pair(t)
	tlsServer := tls.Server(server, srv.TLS)
	clientConfig := srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	clientConfig.ServerName = "example.com" // a name httptest's certificate holds
	tlsClient := tls.Client(client, clientConfig)
	client.SetReadDeadline(time.Now().Add(30 * time.Second)) // lost bytes fail, not hang

	var want bytes.Buffer
	done := make(chan error, 1)
	go func() {
		if err := tlsServer.Handshake(); err != nil {
			done <- err
			return
		}
		for i := range 200 {
			if _, err := fmt.Fprintf(tlsServer, "line %d\n", i); err != nil {
				done <- err
				return
			}
		}
		done <- tlsServer.CloseWrite()
	}()
	for i := range 200 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	got, err := io.ReadAll(tlsClient)
	if err != nil {
		t.Fatalf("reading after %d bytes: %v", len(got), err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("received %d bytes, want %d", len(got), want.Len())
	}
}

func TestWriteAfterCloseFails(t *testing.T) {
	server, _ := pair(t)
	if err := server.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Write after Close: %v, want net.ErrClosed", err)
	}
	if err := server.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v, want net.ErrClosed", err)
	}
}

// TestHTTP2OverTLS serves HTTP/2 over TLS through a Listener, the way kapi does, to
// many concurrent streams of one connection, with small and large bodies.
func TestHTTP2OverTLS(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		fmt.Sscan(r.URL.Query().Get("n"), &n)
		w.Write(bytes.Repeat([]byte("k"), n))
	}))
	srv.EnableHTTP2 = true
	srv.Listener = Listener(srv.Listener)
	srv.StartTLS()
	defer srv.Close()
	client := srv.Client()

	var wg sync.WaitGroup
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := (i % 7) * (i % 13) * 997 // 0 to ~70 KB
			resp, err := client.Get(fmt.Sprintf("%s/?n=%d", srv.URL, n))
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil || resp.ProtoMajor != 2 || len(b) != n || strings.Trim(string(b), "k") != "" {
				t.Errorf("request %d: %s, %d bytes of %d, %v", i, resp.Proto, len(b), n, err)
			}
		}()
	}
	wg.Wait()
}

// BenchmarkSmallWrites writes 200-byte messages from 50 goroutines to one
// connection, as watch streams sharing an HTTP/2 connection do, batched and not.
func BenchmarkSmallWrites(b *testing.B) {
	for _, batched := range []bool{false, true} {
		b.Run(fmt.Sprintf("batched=%v", batched), func(b *testing.B) {
			server, client := pair(b)
			if !batched {
				server = server.(*Conn).Conn
			}
			go io.Copy(io.Discard, client)
			msg := make([]byte, 200)
			var mu sync.Mutex // a connection's writers take turns, as under TLS
			b.SetParallelism(25)
			b.SetBytes(int64(len(msg)))
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					mu.Lock()
					_, err := server.Write(msg)
					mu.Unlock()
					if err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
