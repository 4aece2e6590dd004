package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/pki"
)

// bundle is a fresh CA with a serving certificate for hosts and a client
// certificate for user, as files.
func bundle(t *testing.T, user string, hosts ...string) *pki.Bundle {
	t.Helper()
	b, err := pki.Ensure(pki.Config{Dir: t.TempDir(), Hosts: hosts, AdminUser: user})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// copyFile writes src's content to dst, replacing it.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// serve runs an HTTPS server as Run does (listener, TLS config, HTTP/2 settings) and
// returns its address.
func serve(t *testing.T, s *Server, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h, TLSConfig: s.tls, HTTP2: s.http2Config(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(tls.NewListener(ln, s.tls)) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

// newTLSServer configures a Server's TLS as New does, from cfg.
func newTLSServer(t *testing.T, cfg Config) (*Server, error) {
	t.Helper()
	cfg.DataDir = t.TempDir()
	if err := cfg.Complete(); err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: cfg}
	return s, s.setupTLS()
}

// servedCert returns the leaf certificate the server at addr presents for serverName.
func servedCert(t *testing.T, addr, serverName string) *x509.Certificate {
	t.Helper()
	conn, err := tls.Dial("tcp", addr, &tls.Config{ServerName: serverName, InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return conn.ConnectionState().PeerCertificates[0]
}

func TestParseSNICertKey(t *testing.T) {
	tests := []struct {
		name, in string
		want     SNICertKey
		wantErr  string
	}{
		{name: "files only", in: "a.crt,a.key", want: SNICertKey{CertFile: "a.crt", KeyFile: "a.key"}},
		{name: "names", in: "a.crt,a.key:*.foo.com,foo.com", want: SNICertKey{CertFile: "a.crt", KeyFile: "a.key", Names: []string{"*.foo.com", "foo.com"}}},
		{name: "spaces", in: " a.crt , a.key : foo.com , bar.com ", want: SNICertKey{CertFile: "a.crt", KeyFile: "a.key", Names: []string{"foo.com", "bar.com"}}},
		{name: "empty names", in: "a.crt,a.key:", wantErr: "empty names list is not allowed"},
		{name: "no key", in: "a.crt", wantErr: "expected comma separated certificate and key file paths"},
		{name: "three files", in: "a,b,c", wantErr: "expected comma separated certificate and key file paths"},
		{name: "empty", in: "", wantErr: "expected comma separated certificate and key file paths"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSNICertKey(tc.in)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.String() != tc.want.String() {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzParseSNICertKey(f *testing.F) {
	for _, s := range []string{"a.crt,a.key", "a,b:c,d", ":", ",", "a,b:", "::,,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		k, err := ParseSNICertKey(in)
		if err != nil {
			return
		}
		if strings.Contains(k.CertFile, ",") || strings.Contains(k.KeyFile, ",") {
			t.Errorf("%q parsed to files %q, %q", in, k.CertFile, k.KeyFile)
		}
		again, err := ParseSNICertKey(k.String())
		if err != nil || again.String() != k.String() {
			t.Errorf("%q: %q does not parse back (%v)", in, k.String(), err)
		}
	})
}

// TestTLSFlagErrors: bad flag values stop the server with a message naming the flag.
func TestTLSFlagErrors(t *testing.T) {
	def := bundle(t, "admin", "localhost")
	tests := []struct {
		name    string
		opts    TLSOptions
		wantErr string // "" means success
	}{
		{name: "defaults", opts: TLSOptions{}},
		{name: "TLS 1.2", opts: TLSOptions{MinTLSVersion: "VersionTLS12"}},
		{name: "TLS 1.3", opts: TLSOptions{MinTLSVersion: "VersionTLS13"}},
		{name: "TLS 1.0 is insecure", opts: TLSOptions{MinTLSVersion: "VersionTLS10"},
			wantErr: `--tls-min-version: tls version "VersionTLS10" is insecure and not supported; use VersionTLS12 or VersionTLS13`},
		{name: "unknown version", opts: TLSOptions{MinTLSVersion: "TLS1.2"},
			wantErr: `--tls-min-version: unknown tls version "TLS1.2"; possible values: VersionTLS12, VersionTLS13`},
		{name: "secure suites", opts: TLSOptions{CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"}}},
		{name: "insecure suite", opts: TLSOptions{CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC4_128_SHA"}},
			wantErr: "--tls-cipher-suites: Cipher suite TLS_RSA_WITH_RC4_128_SHA is insecure and not supported"},
		{name: "unknown suite", opts: TLSOptions{CipherSuites: []string{"TLS_MADE_UP"}},
			wantErr: "--tls-cipher-suites: Cipher suite TLS_MADE_UP not supported or doesn't exist"},
		{name: "no suite HTTP/2 requires", opts: TLSOptions{CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
			wantErr: "error configuring http2: --tls-cipher-suites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher " +
				"(need at least one of TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)"},
		{name: "TLS 1.3 needs no TLS 1.2 suite", opts: TLSOptions{MinTLSVersion: "VersionTLS13", CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}}},
		{name: "missing SNI file", opts: TLSOptions{SNICertKeys: []SNICertKey{{CertFile: "/nonexistent.crt", KeyFile: def.ServingKeyFile}}},
			wantErr: "failed to load SNI cert and key 0 (/nonexistent.crt): open /nonexistent.crt: no such file or directory"},
		{name: "SNI key of another certificate", opts: TLSOptions{SNICertKeys: []SNICertKey{{CertFile: def.ServingCertFile, KeyFile: def.AdminKeyFile}}},
			wantErr: "failed to load SNI cert and key 0 (" + def.ServingCertFile + "): tls: private key does not match public key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := newTLSServer(t, Config{TLSOptions: tc.opts})
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tc.wantErr != "" && (err == nil || err.Error() != tc.wantErr):
				t.Fatalf("err = %v\nwant %s", err, tc.wantErr)
			}
		})
	}
}

// TestSNI: the certificate served is the one for the requested name, as upstream
// chooses it.
func TestSNI(t *testing.T) {
	foo := bundle(t, "admin", "x.invalid")                  // names only from the flag
	bar := bundle(t, "admin", "bar.example.com", "foo.com") // names from the certificate
	withNames := func(b *pki.Bundle, names ...string) SNICertKey {
		return SNICertKey{CertFile: b.ServingCertFile, KeyFile: b.ServingKeyFile, Names: names}
	}
	tests := []struct {
		name       string
		sni        []SNICertKey
		serverName string
		want       *pki.Bundle // nil: the default certificate
	}{
		{name: "exact name", sni: []SNICertKey{withNames(foo, "*.foo.com", "foo.com")}, serverName: "foo.com", want: foo},
		{name: "wildcard", sni: []SNICertKey{withNames(foo, "*.foo.com")}, serverName: "a.foo.com", want: foo},
		{name: "wildcard covers one label", sni: []SNICertKey{withNames(foo, "*.foo.com")}, serverName: "a.b.foo.com"},
		{name: "names are case-insensitive", sni: []SNICertKey{withNames(foo, "Foo.com")}, serverName: "FOO.com", want: foo},
		{name: "names from the certificate", sni: []SNICertKey{withNames(bar)}, serverName: "bar.example.com", want: bar},
		{name: "common name from the certificate", sni: []SNICertKey{withNames(bar)}, serverName: "kube-apiserver", want: bar},
		{name: "explicit names beat the certificate's", sni: []SNICertKey{withNames(bar), withNames(foo, "foo.com")}, serverName: "foo.com", want: foo},
		{name: "the first flag wins", sni: []SNICertKey{withNames(foo, "foo.com"), withNames(bar, "foo.com")}, serverName: "foo.com", want: foo},
		{name: "unknown name", sni: []SNICertKey{withNames(foo, "foo.com")}, serverName: "other.example"},
		{name: "no SNI: the dialled address", sni: []SNICertKey{withNames(foo, "127.0.0.1")}, serverName: "", want: foo},
		{name: "no SNI", sni: []SNICertKey{withNames(foo, "foo.com")}, serverName: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newTLSServer(t, Config{TLSOptions: TLSOptions{SNICertKeys: tc.sni}})
			if err != nil {
				t.Fatal(err)
			}
			addr := serve(t, s, http.NotFoundHandler())
			got := servedCert(t, addr, tc.serverName)
			want := s.certs.current.Load().serving.Leaf
			if tc.want != nil {
				want = tc.want.Serving.Leaf
			}
			if !got.Equal(want) {
				t.Errorf("served %v (SANs %v), want %v (SANs %v)", got.Subject, got.DNSNames, want.Subject, want.DNSNames)
			}
		})
	}
}

// TestCertificateReload: rewritten certificate files are served without a restart,
// at the next check (lazily after the interval, or at once through reload); a broken
// rewrite leaves the served certificate in place.
func TestCertificateReload(t *testing.T) {
	one, two := bundle(t, "admin", "localhost"), bundle(t, "admin", "localhost")
	tests := []struct {
		name     string
		interval time.Duration
		// wait is how long the test lets pass after the rewrite.
		wait time.Duration
		sni  bool
		// rewrite changes the files of one into two's; broken breaks them instead.
		broken bool
		// explicit calls reload; otherwise the interval passes.
		explicit bool
		want     *pki.Bundle
	}{
		{name: "serving certificate, reload hook", explicit: true, want: two},
		{name: "serving certificate, after the interval", interval: time.Millisecond, wait: 10 * time.Millisecond, want: two},
		{name: "serving certificate, before the interval", interval: time.Hour, want: one},
		{name: "SNI certificate, reload hook", sni: true, explicit: true, want: two},
		{name: "broken rewrite keeps the old certificate", broken: true, explicit: true, want: one},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			certFile, keyFile := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
			copyFile(t, one.ServingCertFile, certFile)
			copyFile(t, one.ServingKeyFile, keyFile)
			cfg := Config{TLSOptions: TLSOptions{CertReloadInterval: tc.interval}}
			serverName := "localhost"
			if tc.sni {
				cfg.SNICertKeys = []SNICertKey{{CertFile: certFile, KeyFile: keyFile, Names: []string{"sni.example"}}}
				serverName = "sni.example"
			} else {
				cfg.TLSCertFile, cfg.TLSPrivateKeyFile = certFile, keyFile
			}
			s, err := newTLSServer(t, cfg)
			if err != nil {
				t.Fatal(err)
			}
			addr := serve(t, s, http.NotFoundHandler())
			if got := servedCert(t, addr, serverName); !got.Equal(one.Serving.Leaf) {
				t.Fatalf("before the rewrite: served %v", got.SerialNumber)
			}
			if tc.broken {
				if err := os.WriteFile(keyFile, []byte("not a key"), 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				copyFile(t, two.ServingCertFile, certFile)
				copyFile(t, two.ServingKeyFile, keyFile)
			}
			if tc.explicit {
				err := s.certs.reload()
				if tc.broken != (err != nil) {
					t.Fatalf("reload: %v", err)
				}
			}
			time.Sleep(tc.wait)
			if got := servedCert(t, addr, serverName); !got.Equal(tc.want.Serving.Leaf) {
				t.Errorf("after the rewrite: served serial %v, want %v", got.SerialNumber, tc.want.Serving.Leaf.SerialNumber)
			}
		})
	}
}

// TestClientCAReload: after --client-ca-file is rewritten, clients of the new CA
// authenticate (the handshake asks for their certificate) and those of the old one
// no longer do.
func TestClientCAReload(t *testing.T) {
	oldCA, newCA := bundle(t, "old-user", "localhost"), bundle(t, "new-user", "localhost")
	caFile := filepath.Join(t.TempDir(), "ca.crt")
	copyFile(t, oldCA.CACertFile, caFile)
	s, err := newTLSServer(t, Config{ClientCAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	x509Auth := authn.X509{Roots: s.certs.ClientCAs}
	addr := serve(t, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := x509Auth.AuthenticateRequest(r)
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusUnauthorized)
		case !ok:
			io.WriteString(w, "anonymous")
		default:
			io.WriteString(w, u.Name)
		}
	}))
	whoami := func(t *testing.T, client *pki.Bundle) string {
		t.Helper()
		tr := &http.Transport{DisableKeepAlives: true, TLSClientConfig: &tls.Config{
			InsecureSkipVerify: true, Certificates: []tls.Certificate{client.Admin}}}
		defer tr.CloseIdleConnections()
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Get("https://" + addr + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	steps := []struct {
		name      string
		rewrite   bool
		client    *pki.Bundle
		wantWhoAm string
	}{
		{name: "old CA's client before", client: oldCA, wantWhoAm: "200 old-user"},
		{name: "new CA's client before", client: newCA, wantWhoAm: "401 invalid credentials"},
		{name: "new CA's client after", rewrite: true, client: newCA, wantWhoAm: "200 new-user"},
		{name: "old CA's client after", client: oldCA, wantWhoAm: "401 invalid credentials"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.rewrite {
				copyFile(t, newCA.CACertFile, caFile)
				if err := s.certs.reload(); err != nil {
					t.Fatal(err)
				}
			}
			if got := whoami(t, st.client); got != st.wantWhoAm {
				t.Errorf("user = %q, want %q", got, st.wantWhoAm)
			}
		})
	}
}

// TestTLSVersionAndSuites: the handshake honours --tls-min-version and
// --tls-cipher-suites.
func TestTLSVersionAndSuites(t *testing.T) {
	tests := []struct {
		name       string
		opts       TLSOptions
		maxVersion uint16
		suites     []uint16
		ok         bool
	}{
		{name: "TLS 1.2 client, default minimum", maxVersion: tls.VersionTLS12, ok: true},
		{name: "TLS 1.2 client, TLS 1.3 minimum", opts: TLSOptions{MinTLSVersion: "VersionTLS13"}, maxVersion: tls.VersionTLS12},
		{name: "TLS 1.3 client, TLS 1.3 minimum", opts: TLSOptions{MinTLSVersion: "VersionTLS13"}, ok: true},
		{name: "offered suite allowed", opts: TLSOptions{CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"}},
			maxVersion: tls.VersionTLS12, suites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}, ok: true},
		{name: "offered suite not allowed", opts: TLSOptions{CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}},
			maxVersion: tls.VersionTLS12, suites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newTLSServer(t, Config{TLSOptions: tc.opts})
			if err != nil {
				t.Fatal(err)
			}
			addr := serve(t, s, http.NotFoundHandler())
			conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, MaxVersion: tc.maxVersion, CipherSuites: tc.suites})
			if err == nil {
				conn.Close()
			}
			if tc.ok != (err == nil) {
				t.Errorf("handshake error = %v, want success %v", err, tc.ok)
			}
		})
	}
}

// TestHTTP2Settings reads the SETTINGS and connection window the server announces.
func TestHTTP2Settings(t *testing.T) {
	const (
		settingsFrame, windowUpdateFrame = 0x4, 0x8
		maxConcurrentStreams             = 0x3
		initialWindowSize                = 0x4
		maxFrameSize                     = 0x5
	)
	tests := []struct {
		name        string
		flag        int
		wantStreams uint32
	}{
		{name: "default", wantStreams: 100},
		{name: "--http2-max-streams-per-connection", flag: 250, wantStreams: 250},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := newTLSServer(t, Config{TLSOptions: TLSOptions{HTTP2MaxStreamsPerConnection: tc.flag}})
			if err != nil {
				t.Fatal(err)
			}
			addr := serve(t, s, http.NotFoundHandler())
			conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
				t.Fatalf("negotiated %q, want h2", p)
			}
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			// Client preface and an empty SETTINGS frame.
			if _, err := conn.Write(append([]byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 0, 0, 0, settingsFrame, 0, 0, 0, 0, 0)); err != nil {
				t.Fatal(err)
			}
			settings := map[uint16]uint32{}
			var connWindow uint32
			for connWindow == 0 {
				head := make([]byte, 9)
				if _, err := io.ReadFull(conn, head); err != nil {
					t.Fatal(err)
				}
				payload := make([]byte, int(head[0])<<16|int(head[1])<<8|int(head[2]))
				if _, err := io.ReadFull(conn, payload); err != nil {
					t.Fatal(err)
				}
				streamID := binary.BigEndian.Uint32(head[5:]) & 0x7fffffff
				switch {
				case head[3] == settingsFrame && head[4]&1 == 0:
					for r := bytes.NewReader(payload); r.Len() >= 6; {
						var id uint16
						var v uint32
						_ = binary.Read(r, binary.BigEndian, &id)
						_ = binary.Read(r, binary.BigEndian, &v)
						settings[id] = v
					}
				case head[3] == windowUpdateFrame && streamID == 0:
					connWindow = 65535 + binary.BigEndian.Uint32(payload)&0x7fffffff
				}
			}
			want := map[uint16]uint32{maxConcurrentStreams: tc.wantStreams, maxFrameSize: 256 << 10, initialWindowSize: 256 << 10}
			for id, v := range want {
				if settings[id] != v {
					t.Errorf("setting %#x = %d, want %d (all: %v)", id, settings[id], v, settings)
				}
			}
			if wantWindow := uint32(256<<10) * tc.wantStreams; connWindow != wantWindow {
				t.Errorf("connection window = %d, want %d", connWindow, wantWindow)
			}
		})
	}
}
