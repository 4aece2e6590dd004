package oidc

import (
	"context"
	"errors"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// Options are what the server adds to a configuration.
type Options struct {
	// DisallowedIssuers are issuers no JWT authenticator may claim: the
	// service-account issuers.
	DisallowedIssuers []string
	// SigningAlgs are the accepted "alg"s; nil accepts AllSigningAlgorithms, as
	// upstream does for --authentication-config.
	SigningAlgs []string
	// Now is the clock (tests set it); nil means time.Now.
	Now func() time.Time
}

// Authenticator authenticates the tokens of every configured issuer. It is
// immutable; FileAuthenticator replaces it as a whole on reload.
type Authenticator struct {
	issuers []*issuerAuthenticator
}

// New validates cfg and builds its authenticators. Discovery happens on first use.
func New(cfg *AuthenticationConfiguration, opts Options) (*Authenticator, error) {
	comp, errs := ValidateConfig(cfg, opts.DisallowedIssuers)
	if len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	algs := opts.SigningAlgs
	if algs == nil {
		algs = AllSigningAlgorithms
	}
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	a := &Authenticator{}
	for _, c := range comp {
		ia, err := newIssuerAuthenticator(c, algs, now)
		if err != nil {
			a.close()
			return nil, err
		}
		a.issuers = append(a.issuers, ia)
	}
	return a, nil
}

// AuthenticateToken implements authn.TokenAuthenticator. Issuers are distinct, so
// at most one authenticator claims a token; its error stands.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	for _, ia := range a.issuers {
		u, ok, err := ia.AuthenticateToken(ctx, token)
		if err != nil || ok {
			return u, ok, err
		}
	}
	return nil, false, nil
}

// Ready discovers every issuer now and reports the failures.
func (a *Authenticator) Ready(ctx context.Context) error {
	var errs []error
	for _, ia := range a.issuers {
		errs = append(errs, ia.verifier.provider.ready(ctx))
	}
	return errors.Join(errs...)
}

func (a *Authenticator) close() {
	for _, ia := range a.issuers {
		ia.verifier.provider.close()
	}
}
