package proxytest

import (
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Kubelet is a fake kubelet serving HTTPS on Host:Port. It requires a client
// certificate signed by its CA, as a kubelet does of the API server.
type Kubelet struct {
	Host string
	Port int
	// CAFile signed the kubelet's serving certificate and the client certificate:
	// --kubelet-certificate-authority.
	CAFile string
	// ClientCertFile and ClientKeyFile are --kubelet-client-certificate/-key.
	ClientCertFile, ClientKeyFile string

	mu       sync.Mutex
	requests []Request
}

// Request is what the fake kubelet received.
type Request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	// ClientCN is the common name of the client certificate presented.
	ClientCN string
}

// Echo is the JSON body of answers to paths the fake does not know.
type Echo struct {
	Method, Path, Query string
	Header              http.Header
}

// StartKubelet serves a fake kubelet on host (an IP) until the test ends.
func StartKubelet(t testing.TB, host string) *Kubelet {
	t.Helper()
	ip := net.ParseIP(host)
	if ip == nil {
		t.Fatalf("fake kubelet host %q is not an IP", host)
	}
	c := newCerts(t, []net.IP{ip})
	ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatal(err)
	}
	k := &Kubelet{Host: host, Port: ln.Addr().(*net.TCPAddr).Port, CAFile: c.caFile,
		ClientCertFile: c.clientCertFile, ClientKeyFile: c.clientKeyFile}
	srv := &http.Server{
		Handler:           k,
		ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{
			Certificates: []tls.Certificate{c.serving}, ClientCAs: c.pool,
			ClientAuth: tls.RequireAndVerifyClientCert, MinVersion: tls.VersionTLS12,
			NextProtos: []string{"http/1.1"},
		},
	}
	go func() { _ = srv.Serve(tls.NewListener(ln, srv.TLSConfig)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return k
}

// Requests returns what the fake received so far.
func (k *Kubelet) Requests() []Request {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([]Request(nil), k.requests...)
}

// ServeHTTP implements http.Handler.
func (k *Kubelet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := Request{Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone()}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		rec.ClientCN = r.TLS.PeerCertificates[0].Subject.CommonName
	}
	k.mu.Lock()
	k.requests = append(k.requests, rec)
	k.mu.Unlock()
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	switch {
	case parts[0] == "containerLogs" && len(parts) == 4:
		serveLogs(w, r, parts[1], parts[2], parts[3])
	case (parts[0] == "exec" || parts[0] == "attach") && len(parts) == 4:
		serveExec(w, r, parts[0])
	case parts[0] == "portForward" && len(parts) == 3:
		servePortForward(w, r)
	case parts[0] == "redirect":
		http.Redirect(w, r, "/target/", http.StatusFound)
	default:
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Access-Control-Allow-Origin", "*")
		_ = json.NewEncoder(w).Encode(Echo{Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header})
	}
}

// serveLogs writes "<ns>/<pod>/<container> line N" lines: three, or with follow
// one every 20ms until the client goes. Container "missing" is a 404.
func serveLogs(w http.ResponseWriter, r *http.Request, ns, pod, container string) {
	if container == "missing" {
		http.Error(w, "container not found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	q := r.URL.Query()
	fmt.Fprintf(w, "query %s\n", r.URL.RawQuery)
	if q.Get("follow") != "true" {
		for i := 1; i <= 3; i++ {
			fmt.Fprintf(w, "%s/%s/%s line %d\n", ns, pod, container, i)
		}
		return
	}
	rc := http.NewResponseController(w)
	for i := 1; ; i++ {
		if _, err := fmt.Fprintf(w, "%s/%s/%s line %d\n", ns, pod, container, i); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// portOf parses the port header of a port-forward stream.
func portOf(s string) int {
	p, _ := strconv.Atoi(s)
	return p
}
