package server

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"

	"github.com/kapi-dev/kapi/internal/authn"
)

// requestHeaderAuthenticator builds the front proxy authenticator of the
// --requestheader-* flags (nil without --requestheader-client-ca-file) and has the
// TLS handshake ask for certificates of its CAs too.
func (s *Server) requestHeaderAuthenticator() (*authn.RequestHeader, error) {
	o := s.cfg.AuthenticationOptions
	if o.RequestHeaderClientCAFile == "" {
		return nil, nil
	}
	bundle, err := authn.NewCABundleFile(o.RequestHeaderClientCAFile, s.cfg.CertReloadInterval)
	if err != nil {
		return nil, fmt.Errorf("--requestheader-client-ca-file: %w", err)
	}
	rh, err := authn.NewRequestHeader(authn.RequestHeader{
		Roots:               bundle.Pool,
		AllowedNames:        o.RequestHeaderAllowedNames,
		UsernameHeaders:     o.RequestHeaderUsernameHeaders,
		UIDHeaders:          o.RequestHeaderUIDHeaders,
		GroupHeaders:        o.RequestHeaderGroupHeaders,
		ExtraHeaderPrefixes: o.RequestHeaderExtraHeaderPrefixes,
	})
	if err != nil {
		return nil, err
	}
	s.advertiseClientCAs(bundle)
	return rh, nil
}

// advertiseClientCAs adds the front proxy's CAs to the acceptable CAs the server
// names in its certificate request, so that clients (Go's among them) send a
// certificate of those CAs. Only the handshake sees them: client certificate users
// are still verified against the client CA alone.
func (s *Server) advertiseClientCAs(bundle *authn.CABundleFile) {
	base := s.tls.GetConfigForClient
	var (
		// mu guards the merged pool and the inputs it was built from.
		mu         sync.Mutex
		lastClient *x509.CertPool
		lastProxy  []byte
		merged     *x509.CertPool
	)
	mergedPool := func(client *x509.CertPool, proxyPEM []byte) *x509.CertPool {
		mu.Lock()
		defer mu.Unlock()
		if merged != nil && client == lastClient && len(proxyPEM) == len(lastProxy) && string(proxyPEM) == string(lastProxy) {
			return merged
		}
		pool := x509.NewCertPool()
		if client != nil {
			pool = client.Clone()
		}
		pool.AppendCertsFromPEM(proxyPEM)
		lastClient, lastProxy, merged = client, proxyPEM, pool
		return pool
	}
	s.tls.GetConfigForClient = func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
		var cfg *tls.Config
		if base != nil {
			c, err := base(hello)
			if err != nil {
				return nil, err
			}
			cfg = c
		}
		if cfg == nil {
			cfg = s.tls.Clone()
			cfg.GetConfigForClient = nil
		}
		cfg.ClientCAs = mergedPool(cfg.ClientCAs, bundle.PEM())
		return cfg, nil
	}
}

// extensionAuthenticationData are the requestheader-* keys of the
// extension-apiserver-authentication ConfigMap (nil without a front proxy).
func (s *Server) extensionAuthenticationData() map[string]string {
	o := s.cfg.AuthenticationOptions
	if o.RequestHeaderClientCAFile == "" {
		return nil
	}
	ca, err := os.ReadFile(o.RequestHeaderClientCAFile)
	if err != nil {
		slog.Warn("not publishing the front proxy configuration", "err", err)
		return nil
	}
	return authn.RequestHeaderConfigMapData(ca, &authn.RequestHeader{
		AllowedNames:        o.RequestHeaderAllowedNames,
		UsernameHeaders:     o.RequestHeaderUsernameHeaders,
		UIDHeaders:          o.RequestHeaderUIDHeaders,
		GroupHeaders:        o.RequestHeaderGroupHeaders,
		ExtraHeaderPrefixes: o.RequestHeaderExtraHeaderPrefixes,
	})
}
