package proxy

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// writeStatus is the ErrorWriter of the tests: the code and the message.
func writeStatus(w http.ResponseWriter, _ *http.Request, err error) {
	st := apierrors.APIStatus(apierrors.NewInternalError(err))
	if s, ok := err.(apierrors.APIStatus); ok {
		st = s
	}
	w.WriteHeader(int(st.Status().Code))
	_ = json.NewEncoder(w).Encode(st.Status())
}

// echoBackend answers with the request it got, and upgrades "echo" requests to a
// raw echo of every line.
func echoBackend(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") == "echo" {
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
			_ = rw.Flush()
			_, _ = fmt.Fprintf(rw, "query %s\n", r.URL.RawQuery)
			_ = rw.Flush()
			_, _ = io.Copy(conn, rw)
			return
		}
		if r.URL.Path == "/moved" {
			w.Header().Set("Location", "/elsewhere/")
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.WriteHeader(http.StatusFound)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"path": r.URL.Path, "query": r.URL.RawQuery, "header": r.Header})
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHandlerPlainRequests(t *testing.T) {
	backend := echoBackend(t)
	u, _ := url.Parse(backend.URL)
	tests := []struct {
		name       string
		handler    Handler
		reqPath    string
		header     map[string]string
		wantCode   int
		wantPath   string
		wantHeader map[string]string // "" means absent
		wantLoc    string
	}{
		{
			name:     "credentials and impersonation are stripped",
			handler:  Handler{Location: &url.URL{Scheme: "http", Host: u.Host, Path: "/a"}, Rewrite: true},
			reqPath:  "/api/v1/namespaces/ns/pods/p/proxy/a",
			header:   map[string]string{"Authorization": "Bearer secret", "Impersonate-User": "bob", "Impersonate-Extra-X": "y", "X-Custom": "kept"},
			wantCode: http.StatusOK, wantPath: "/a",
			wantHeader: map[string]string{"Authorization": "", "Impersonate-User": "", "Impersonate-Extra-X": "", "X-Custom": "kept",
				"X-Forwarded-Uri": "/api/v1/namespaces/ns/pods/p/proxy/a"},
		},
		{
			name:     "trailing slash is kept",
			handler:  Handler{Location: &url.URL{Host: u.Host, Path: "/a"}, Rewrite: true},
			reqPath:  "/api/v1/nodes/n/proxy/a/",
			wantCode: http.StatusOK, wantPath: "/a/",
			wantHeader: map[string]string{"X-Forwarded-Uri": "/api/v1/nodes/n/proxy/a/"},
		},
		{
			name:     "root without slash redirects",
			handler:  Handler{Location: &url.URL{Host: u.Host}, Rewrite: true},
			reqPath:  "/api/v1/namespaces/ns/services/s/proxy?x=1",
			wantCode: http.StatusMovedPermanently, wantLoc: "/api/v1/namespaces/ns/services/s/proxy/?x=1",
		},
		{
			name:     "backend redirect goes through the proxy",
			handler:  Handler{Location: &url.URL{Host: u.Host, Path: "/moved"}, Rewrite: true},
			reqPath:  "/api/v1/namespaces/ns/pods/p/proxy/moved",
			wantCode: http.StatusFound, wantLoc: "/api/v1/namespaces/ns/pods/p/proxy/elsewhere/",
			wantHeader: map[string]string{"Access-Control-Allow-Origin": ""},
		},
		{
			name:     "upgrade required",
			handler:  Handler{Location: &url.URL{Host: u.Host, Path: "/exec"}, UpgradeRequired: true},
			reqPath:  "/api/v1/namespaces/ns/pods/p/exec",
			wantCode: http.StatusBadRequest,
		},
		{
			name:     "unreachable backend is 503 for proxies",
			handler:  Handler{Location: &url.URL{Host: "127.0.0.1:1", Path: "/x"}, Rewrite: true},
			reqPath:  "/api/v1/namespaces/ns/pods/p/proxy/x",
			wantCode: http.StatusServiceUnavailable,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := tc.handler
			h.Transport, h.Error = NewBackendTransport(false), writeStatus
			srv := httptest.NewServer(&h)
			defer srv.Close()
			req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.reqPath, nil)
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tc.wantCode {
				t.Fatalf("code %d, want %d: %s", resp.StatusCode, tc.wantCode, body)
			}
			if tc.wantLoc != "" && resp.Header.Get("Location") != tc.wantLoc {
				t.Errorf("Location %q, want %q", resp.Header.Get("Location"), tc.wantLoc)
			}
			if tc.wantPath == "" {
				for k, v := range tc.wantHeader {
					if resp.Header.Get(k) != v {
						t.Errorf("response header %s = %q, want %q", k, resp.Header.Get(k), v)
					}
				}
				return
			}
			var got struct {
				Path   string
				Header http.Header
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("%v: %s", err, body)
			}
			if got.Path != tc.wantPath {
				t.Errorf("backend path %q, want %q", got.Path, tc.wantPath)
			}
			for k, v := range tc.wantHeader {
				if got.Header.Get(k) != v {
					t.Errorf("backend header %s = %q, want %q", k, got.Header.Get(k), v)
				}
			}
			if got.Header.Get("X-Forwarded-For") == "" {
				t.Errorf("no X-Forwarded-For")
			}
		})
	}
}

// dialUpgrade sends a raw upgrade request to srv and returns the connection after
// the 101, or the response when there was none.
func dialUpgrade(t *testing.T, srv *httptest.Server, path, upgrade string) (net.Conn, *bufio.Reader, *http.Response) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: %s\r\nAuthorization: Bearer secret\r\n\r\n", path, upgrade)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	return conn, br, resp
}

func TestHandlerUpgrade(t *testing.T) {
	backend := echoBackend(t)
	u, _ := url.Parse(backend.URL)
	stop := make(chan struct{})
	h := &Handler{
		Location:         &url.URL{Scheme: "http", Host: u.Host, Path: "/exec", RawQuery: "output=1"},
		Transport:        NewBackendTransport(false),
		UpgradeTransport: func() http.RoundTripper { return NewBackendTransport(true) },
		UpgradeRequired:  true, Stop: stop, Error: writeStatus,
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	conn, br, resp := dialUpgrade(t, srv, "/whatever?stdout=true", "echo")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("code %d, want 101", resp.StatusCode)
	}
	line, _ := br.ReadString('\n')
	if line != "query output=1\n" {
		t.Errorf("backend got %q, want the location's query", line)
	}
	fmt.Fprintf(conn, "ping\n")
	if line, _ := br.ReadString('\n'); line != "ping\n" {
		t.Errorf("echo %q, want ping", line)
	}

	// Shutdown ends the stream.
	close(stop)
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := br.ReadString('\n'); err == nil {
		t.Errorf("stream still open after stop")
	}
}

func TestHandlerUpgradeEndsWhenClientCloses(t *testing.T) {
	closed := make(chan struct{})
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
		_ = rw.Flush()
		_, _ = io.Copy(io.Discard, rw)
		close(closed)
	}))
	defer backend.Close()
	u, _ := url.Parse(backend.URL)
	h := &Handler{Location: &url.URL{Host: u.Host, Path: "/x"}, Transport: NewBackendTransport(false),
		UpgradeTransport: func() http.RoundTripper { return NewBackendTransport(true) }, Error: writeStatus}
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, _, resp := dialUpgrade(t, srv, "/x", "echo")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("code %d, want 101", resp.StatusCode)
	}
	conn.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("backend connection still open after the client closed")
	}
}

func TestIsUpgradeRequest(t *testing.T) {
	tests := []struct {
		name       string
		connection []string
		upgrade    string
		want       bool
	}{
		{"spdy", []string{"Upgrade"}, "SPDY/3.1", true},
		{"token list", []string{"keep-alive, upgrade"}, "websocket", true},
		{"no upgrade header", []string{"Upgrade"}, "", false},
		{"no connection token", []string{"keep-alive"}, "websocket", false},
		{"none", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", nil)
			r.Header["Connection"] = tc.connection
			if tc.upgrade != "" {
				r.Header.Set("Upgrade", tc.upgrade)
			}
			if got := IsUpgradeRequest(r); got != tc.want {
				t.Errorf("IsUpgradeRequest = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestHandlerUpgradeRefusedOrMismatched(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/other" {
			// Switches to a protocol the client did not ask for.
			conn, rw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: other\r\n\r\n")
			_ = rw.Flush()
			return
		}
		http.Error(w, "unable to upgrade: missing upgrade headers in request", http.StatusBadRequest)
	}))
	defer backend.Close()
	u, _ := url.Parse(backend.URL)
	tests := []struct {
		name, path string
		wantCode   int
	}{
		{"backend refuses: its answer passes", "/refuse", http.StatusBadRequest},
		{"backend switches to another protocol", "/other", http.StatusInternalServerError},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Location: &url.URL{Host: u.Host, Path: tc.path}, Transport: NewBackendTransport(false),
				UpgradeTransport: func() http.RoundTripper { return NewBackendTransport(true) }, UpgradeRequired: true, Error: writeStatus}
			srv := httptest.NewServer(h)
			defer srv.Close()
			_, _, resp := dialUpgrade(t, srv, tc.path, "SPDY/3.1")
			if resp.StatusCode != tc.wantCode {
				t.Errorf("code %d, want %d", resp.StatusCode, tc.wantCode)
			}
		})
	}
}

// TestHandlerUpgradeThrottled: with MaxBytesPerSec an upgraded stream moves no more
// than that many bytes a second each way, and moves them intact.
func TestHandlerUpgradeThrottled(t *testing.T) {
	const rate, size = 20000, 30000 // a burst of 20000 at once, the rest half a second later
	backend := echoBackend(t)
	u, _ := url.Parse(backend.URL)
	h := &Handler{
		Location:         &url.URL{Scheme: "http", Host: u.Host, Path: "/exec"},
		Transport:        NewBackendTransport(false),
		UpgradeTransport: func() http.RoundTripper { return NewBackendTransport(true) },
		UpgradeRequired:  true, MaxBytesPerSec: rate, Error: writeStatus,
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	conn, br, resp := dialUpgrade(t, srv, "/x", "echo")
	if resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("code %d, want 101", resp.StatusCode)
	}
	if _, err := br.ReadString('\n'); err != nil { // the backend's query line
		t.Fatal(err)
	}
	line := strings.Repeat("x", size-1) + "\n"
	start := time.Now()
	go func() { _, _ = io.WriteString(conn, line) }()
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	echoed, err := br.ReadString('\n')
	elapsed := time.Since(start)
	if err != nil || echoed != line {
		t.Fatalf("echoed %d bytes (%v), want the %d sent", len(echoed), err, size)
	}
	if min := 400 * time.Millisecond; elapsed < min {
		t.Errorf("%d bytes went both ways in %v at %d bytes a second, want at least %v", size, elapsed, rate, min)
	}
}
