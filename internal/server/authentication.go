package server

import (
	"crypto/x509"
	"fmt"

	"github.com/kapi-dev/kapi/internal/authn"
)

// newAuthenticator builds the union of the configured authenticators in upstream's
// order; the first that recognises a credential decides.
func (s *Server) newAuthenticator() (authn.Authenticator, error) {
	cfg := s.cfg
	var authenticators []authn.Authenticator
	authenticators = append(authenticators, authn.X509{Roots: func() *x509.CertPool { return s.tls.ClientCAs }})
	if cfg.TokenAuthFile != "" {
		tf, err := authn.NewTokenFile(cfg.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		authenticators = append(authenticators, tf)
	}
	return authn.Union(authenticators), nil
}
