package server

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
	"time"
)

// TLSOptions are kube-apiserver's TLS serving flags beyond the default certificate.
type TLSOptions struct {
	// SNICertKeys are --tls-sni-cert-key: certificates served to clients asking
	// for one of their names; earlier entries win where names collide.
	SNICertKeys []SNICertKey
	// MinTLSVersion is --tls-min-version: VersionTLS12 (the default) or VersionTLS13.
	MinTLSVersion string
	// CipherSuites is --tls-cipher-suites, Go's (IANA) names; empty uses Go's defaults.
	CipherSuites []string
	// HTTP2MaxStreamsPerConnection is --http2-max-streams-per-connection; 0 or less
	// means upstream's 100.
	HTTP2MaxStreamsPerConnection int
	// DisableHTTP2Serving serves HTTP/1.1 only (--disable-http2-serving).
	DisableHTTP2Serving bool
	// CertReloadInterval is how often the certificate, key and client CA files are
	// checked for new content; 0 means once a minute. Not a flag: tests shorten it.
	CertReloadInterval time.Duration
}

// SNICertKey is one --tls-sni-cert-key: a certificate and key file, and the names
// it serves (taken from the certificate when none are given).
type SNICertKey struct {
	CertFile, KeyFile string
	Names             []string
}

// String is the flag syntax of k.
func (k SNICertKey) String() string {
	s := k.CertFile + "," + k.KeyFile
	if len(k.Names) > 0 {
		s += ":" + strings.Join(k.Names, ",")
	}
	return s
}

// ParseSNICertKey parses kube-apiserver's --tls-sni-cert-key syntax:
// "cert.crt,key.key" or "cert.crt,key.key:*.foo.com,foo.com".
func ParseSNICertKey(value string) (SNICertKey, error) {
	var k SNICertKey
	files, names, hasNames := strings.Cut(value, ":")
	if hasNames {
		names = strings.TrimSpace(names)
		if names == "" {
			return k, errors.New("empty names list is not allowed")
		}
		for _, n := range strings.Split(names, ",") {
			k.Names = append(k.Names, strings.TrimSpace(n))
		}
	}
	parts := strings.Split(strings.TrimSpace(files), ",")
	if len(parts) != 2 {
		return SNICertKey{}, errors.New("expected comma separated certificate and key file paths")
	}
	k.CertFile, k.KeyFile = strings.TrimSpace(parts[0]), strings.TrimSpace(parts[1])
	return k, nil
}

// tlsVersions are the accepted --tls-min-version values. TLS 1.0 and 1.1, which
// upstream still accepts, are refused: kapi serves nothing older than TLS 1.2.
var tlsVersions = map[string]uint16{
	"VersionTLS12": tls.VersionTLS12,
	"VersionTLS13": tls.VersionTLS13,
}

// minTLSVersion resolves --tls-min-version.
func (o *TLSOptions) minTLSVersion() (uint16, error) {
	switch o.MinTLSVersion {
	case "":
		return tls.VersionTLS12, nil
	case "VersionTLS10", "VersionTLS11":
		return 0, fmt.Errorf("--tls-min-version: tls version %q is insecure and not supported; use VersionTLS12 or VersionTLS13", o.MinTLSVersion)
	}
	v, ok := tlsVersions[o.MinTLSVersion]
	if !ok {
		return 0, fmt.Errorf("--tls-min-version: unknown tls version %q; possible values: VersionTLS12, VersionTLS13", o.MinTLSVersion)
	}
	return v, nil
}

// cipherSuites resolves --tls-cipher-suites to IDs. Go's secure suites are accepted
// under their names (and the two legacy CHACHA20 names upstream keeps); the suites
// Go lists as insecure, which upstream still accepts, are refused.
func (o *TLSOptions) cipherSuites() ([]uint16, error) {
	if len(o.CipherSuites) == 0 {
		return nil, nil
	}
	secure := map[string]uint16{
		"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305":   tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305": tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	for _, s := range tls.CipherSuites() {
		secure[s.Name] = s.ID
	}
	insecure := map[string]bool{}
	for _, s := range tls.InsecureCipherSuites() {
		insecure[s.Name] = true
	}
	ids := make([]uint16, 0, len(o.CipherSuites))
	for _, name := range o.CipherSuites {
		name = strings.TrimSpace(name)
		id, ok := secure[name]
		switch {
		case insecure[name]:
			return nil, fmt.Errorf("--tls-cipher-suites: Cipher suite %s is insecure and not supported", name)
		case !ok:
			return nil, fmt.Errorf("--tls-cipher-suites: Cipher suite %s not supported or doesn't exist", name)
		}
		ids = append(ids, id)
	}
	return ids, nil
}
