package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// HTTP/2 limits as upstream's: most API request bodies fit in one 256 KiB frame and
// stream window, and a connection carries upstream's stream limit of them.
const (
	http2FrameAndStreamBuffer = 256 * 1024
	defaultHTTP2MaxStreams    = 100
	defaultCertReloadInterval = time.Minute
)

// setupServingTLS builds s.tls around the certificates being served: generated is
// the serving certificate when --tls-cert-file is not set, generatedCAs the client
// CA pool when --client-ca-file is not set. Files named by flags are reloaded when
// their content changes.
func (s *Server) setupServingTLS(generated tls.Certificate, generatedCAs *x509.CertPool) error {
	certs, err := newServingCerts(s.cfg, generated, generatedCAs)
	if err != nil {
		return err
	}
	s.certs = certs
	s.tls = certs.tlsConfig()
	return nil
}

// http2Config is the HTTP/2 configuration of the secure server.
func (s *Server) http2Config() *http.HTTP2Config {
	streams := s.cfg.HTTP2MaxStreamsPerConnection
	if streams <= 0 {
		streams = defaultHTTP2MaxStreams
	}
	return &http.HTTP2Config{
		MaxConcurrentStreams:          streams,
		MaxReadFrameSize:              http2FrameAndStreamBuffer,
		MaxReceiveBufferPerStream:     http2FrameAndStreamBuffer,
		MaxReceiveBufferPerConnection: int(min(int64(http2FrameAndStreamBuffer)*int64(streams), math.MaxInt32)),
	}
}

// nextProtos are the protocols offered by ALPN: HTTP/2 first, unless
// --disable-http2-serving leaves HTTP/1.1 alone.
func nextProtos(disableHTTP2 bool) []string {
	if disableHTTP2 {
		return []string{"http/1.1"}
	}
	return []string{"h2", "http/1.1"}
}

// http2CanServe refuses, as upstream's HTTP/2 set-up does, a TLS 1.2 suite list
// without one of the two suites HTTP/2 requires.
func http2CanServe(suites []uint16, minVersion uint16) error {
	if len(suites) == 0 || minVersion >= tls.VersionTLS13 ||
		slices.Contains(suites, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) ||
		slices.Contains(suites, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256) {
		return nil
	}
	return errors.New("error configuring http2: --tls-cipher-suites is missing an HTTP/2-required AES_128_GCM_SHA256 cipher " +
		"(need at least one of TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 or TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)")
}

// servingCerts serves the default and SNI certificates and the client CA bundle,
// reloading their files when their content changes: checked at most once per
// interval, on the next handshake or client-CA lookup, or at once through reload.
type servingCerts struct {
	// base holds the fixed settings (versions, suites, protocols, client auth).
	base     *tls.Config
	interval time.Duration
	files    certFiles
	// generated and generatedCAs stand in for files that are not configured.
	generated    tls.Certificate
	generatedCAs *x509.CertPool

	current atomic.Pointer[servedContent]
	// lastCheck is when the files were last read (UnixNano).
	lastCheck atomic.Int64
	// reloadMu serializes reloads; a handshake that finds it held does not wait.
	reloadMu sync.Mutex
}

// certFiles are the files behind the served content.
type certFiles struct {
	certFile, keyFile string
	sni               []SNICertKey
	clientCAFile      string
}

// servedContent is one consistent version of what is served.
type servedContent struct {
	digest    [sha256.Size]byte
	serving   tls.Certificate
	byName    map[string]*tls.Certificate
	clientCAs *x509.CertPool
	// config is base with the above filled in; cloned for every handshake.
	config *tls.Config
}

func newServingCerts(cfg Config, generated tls.Certificate, generatedCAs *x509.CertPool) (*servingCerts, error) {
	minVersion, err := cfg.minTLSVersion()
	if err != nil {
		return nil, err
	}
	suites, err := cfg.cipherSuites()
	if err != nil {
		return nil, err
	}
	if !cfg.DisableHTTP2Serving {
		if err := http2CanServe(suites, minVersion); err != nil {
			return nil, err
		}
	}
	interval := cfg.CertReloadInterval
	if interval <= 0 {
		interval = defaultCertReloadInterval
	}
	c := &servingCerts{
		base: &tls.Config{
			MinVersion:   minVersion,
			CipherSuites: suites,
			ClientAuth:   tls.RequestClientCert,
			NextProtos:   nextProtos(cfg.DisableHTTP2Serving),
		},
		interval:     interval,
		files:        certFiles{certFile: cfg.TLSCertFile, keyFile: cfg.TLSPrivateKeyFile, sni: cfg.SNICertKeys, clientCAFile: cfg.ClientCAFile},
		generated:    generated,
		generatedCAs: generatedCAs,
	}
	content, err := c.load()
	if err != nil {
		return nil, err
	}
	c.current.Store(content)
	c.lastCheck.Store(time.Now().UnixNano())
	return c, nil
}

// tlsConfig is the listener's configuration: every handshake takes the current
// content through GetConfigForClient. Its Certificates and ClientCAs are those of
// the start, for code that reads them directly.
func (c *servingCerts) tlsConfig() *tls.Config {
	cfg := c.current.Load().config.Clone()
	cfg.GetConfigForClient = c.getConfigForClient
	return cfg
}

// ClientCAs returns the current client CA pool, for x509 authentication.
func (c *servingCerts) ClientCAs() *x509.CertPool {
	c.maybeReload()
	return c.current.Load().clientCAs
}

// getConfigForClient picks the certificate for a handshake: the SNI certificate
// of the requested name (exact, then one wildcard label), or, without SNI, of the
// address the client dialled; otherwise the default certificate.
func (c *servingCerts) getConfigForClient(hello *tls.ClientHelloInfo) (*tls.Config, error) {
	c.maybeReload()
	content := c.current.Load()
	cfg := content.config.Clone()
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if name == "" && hello.Conn != nil {
		if host, _, err := net.SplitHostPort(hello.Conn.LocalAddr().String()); err == nil {
			name = host
		}
	}
	if cert := content.certificateFor(name); cert != nil {
		cfg.Certificates = []tls.Certificate{*cert}
	}
	return cfg, nil
}

func (s *servedContent) certificateFor(name string) *tls.Certificate {
	if name == "" {
		return nil
	}
	if cert, ok := s.byName[name]; ok {
		return cert
	}
	if _, rest, ok := strings.Cut(name, "."); ok {
		return s.byName["*."+rest]
	}
	return nil
}

// maybeReload reloads when the interval has passed since the last check.
func (c *servingCerts) maybeReload() {
	if time.Since(time.Unix(0, c.lastCheck.Load())) < c.interval || !c.reloadMu.TryLock() {
		return
	}
	defer c.reloadMu.Unlock()
	if err := c.reloadLocked(); err != nil {
		slog.Warn("keeping the served certificates: reloading them failed", "err", err)
	}
}

// reload reads the files now and serves their content if it changed and is valid;
// on error the content served so far stays.
func (c *servingCerts) reload() error {
	c.reloadMu.Lock()
	defer c.reloadMu.Unlock()
	return c.reloadLocked()
}

func (c *servingCerts) reloadLocked() error {
	c.lastCheck.Store(time.Now().UnixNano())
	content, err := c.load()
	if err != nil {
		return err
	}
	if content.digest != c.current.Load().digest {
		c.current.Store(content)
		slog.Info("serving reloaded certificates", "tls-cert-file", c.files.certFile, "client-ca-file", c.files.clientCAFile, "sni", len(c.files.sni))
	}
	return nil
}

// load reads and parses every file into a new content.
func (c *servingCerts) load() (*servedContent, error) {
	h := sha256.New()
	read := func(path string) ([]byte, error) {
		b, err := os.ReadFile(path)
		if err == nil {
			_ = binary.Write(h, binary.BigEndian, uint64(len(b)))
			h.Write(b)
		}
		return b, err
	}
	content := &servedContent{serving: c.generated, clientCAs: c.generatedCAs, byName: map[string]*tls.Certificate{}}
	if c.files.certFile != "" {
		cert, err := loadKeyPair(read, c.files.certFile, c.files.keyFile)
		if err != nil {
			return nil, fmt.Errorf("loading --tls-cert-file: %w", err)
		}
		content.serving = cert
	}
	if c.files.clientCAFile != "" {
		pem, err := read(c.files.clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("reading --client-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--client-ca-file %s holds no PEM certificates", c.files.clientCAFile)
		}
		content.clientCAs = pool
	}
	// Explicit names beat names found in certificates; among either, the earlier
	// flag wins.
	extracted := map[string]*tls.Certificate{}
	for i, sni := range c.files.sni {
		cert, err := loadKeyPair(read, sni.CertFile, sni.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("failed to load SNI cert and key %d (%s): %w", i, sni.CertFile, err)
		}
		names, into := sni.Names, content.byName
		if len(names) == 0 {
			names, into = certificateNames(cert.Leaf), extracted
		}
		for _, n := range names {
			n = strings.ToLower(n)
			if _, taken := into[n]; !taken {
				into[n] = &cert
			}
		}
	}
	for n, cert := range extracted {
		if _, taken := content.byName[n]; !taken {
			content.byName[n] = cert
		}
	}
	h.Sum(content.digest[:0])
	content.config = c.base.Clone()
	content.config.Certificates = []tls.Certificate{content.serving}
	content.config.ClientCAs = content.clientCAs
	return content, nil
}

// loadKeyPair reads and parses a certificate and its key; Leaf is set.
func loadKeyPair(read func(string) ([]byte, error), certFile, keyFile string) (tls.Certificate, error) {
	certPEM, err := read(certFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := read(keyFile)
	if err != nil {
		return tls.Certificate{}, err
	}
	if len(bytes.TrimSpace(certPEM)) == 0 || len(bytes.TrimSpace(keyPEM)) == 0 {
		return tls.Certificate{}, fmt.Errorf("empty certificate or key file (%s, %s)", certFile, keyFile)
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err == nil && cert.Leaf == nil {
		cert.Leaf, err = x509.ParseCertificate(cert.Certificate[0])
	}
	return cert, err
}

// certificateNames are the names a certificate serves when none are given: its
// common name when that is a DNS name (not an IP), then its DNS SANs.
func certificateNames(cert *x509.Certificate) []string {
	var names []string
	cn := cert.Subject.CommonName
	if net.ParseIP(cn) == nil && (cn == "*" || len(validation.IsDNS1123Subdomain(strings.TrimPrefix(cn, "*."))) == 0) {
		names = append(names, cn)
	}
	return append(names, cert.DNSNames...)
}
