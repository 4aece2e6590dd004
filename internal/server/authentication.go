package server

import (
	"crypto/x509"
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/authn/bootstraptoken"
	"github.com/kapi-dev/kapi/internal/authn/oidc"
	"github.com/kapi-dev/kapi/internal/authn/webhook"
	"github.com/kapi-dev/kapi/internal/registry"
)

// newAuthenticator builds the union of the configured authenticators in upstream's
// order (front proxy, client certificates, then bearer tokens: token file, service
// accounts, bootstrap tokens, JWT issuers, webhook); the first that recognises a
// credential decides.
func (s *Server) newAuthenticator() (authn.Authenticator, error) {
	cfg := s.cfg
	if err := cfg.AuthenticationOptions.validateAuthentication(); err != nil {
		return nil, err
	}
	apiAudiences := s.apiAudiences()
	var authenticators []authn.Authenticator
	rh, err := s.requestHeaderAuthenticator()
	if err != nil {
		return nil, err
	}
	if rh != nil {
		authenticators = append(authenticators, authn.AudienceAgnosticRequest(apiAudiences, rh))
	}
	authenticators = append(authenticators, authn.X509{Roots: s.clientCAPool, Remaining: s.certificateExpiration()})
	if cfg.TokenAuthFile != "" {
		tf, err := authn.NewTokenFile(cfg.TokenAuthFile)
		if err != nil {
			return nil, fmt.Errorf("--token-auth-file: %w", err)
		}
		authenticators = append(authenticators, authn.AudienceAgnosticRequest(apiAudiences, tf))
	}
	authenticators = append(authenticators, s.serviceAccountAuthenticators()...)
	jwt, jwtFile, err := s.jwtAuthenticator()
	if err != nil {
		return nil, err
	}
	tokens, err := s.externalTokenAuthenticators(apiAudiences, jwt)
	if err != nil {
		return nil, err
	}
	if len(tokens) > 0 {
		authenticators = append(authenticators, tokens)
	}
	var union authn.Authenticator = authn.Union(authenticators)
	if jwtFile != nil {
		return s.withAnonymousConfig(union, jwtFile)
	}
	return union, nil
}

// clientCAPool is the current --client-ca-file pool (reloaded with the serving
// certificates), never the front proxy's CAs.
func (s *Server) clientCAPool() *x509.CertPool {
	if s.certs != nil {
		return s.certs.ClientCAs()
	}
	return s.tls.ClientCAs
}

// apiAudiences are the audiences of the API, completed with the service-account
// options.
func (s *Server) apiAudiences() []string {
	if s.serviceAccounts != nil {
		return s.serviceAccounts.audiences
	}
	return s.cfg.APIAudiences
}

// externalTokenAuthenticators are the bearer token authenticators configured by
// the options of this file, in upstream's order; jwt is the JWT issuers' (or nil).
func (s *Server) externalTokenAuthenticators(apiAudiences []string, jwt authn.TokenAuthenticator) (authn.BearerTokens, error) {
	o := s.cfg.AuthenticationOptions
	var tokens authn.BearerTokens
	if o.EnableBootstrapTokenAuth {
		// Secrets are read through the stores, which exist by the first request.
		secrets := storeObjects{stores: func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] }}
		tokens = append(tokens, authn.AudienceAgnostic(apiAudiences, bootstraptoken.New(secrets)))
	}
	if jwt != nil {
		tokens = append(tokens, authn.AudienceAgnostic(apiAudiences, jwt))
	}
	if o.AuthenticationTokenWebhookConfigFile != "" {
		wh, err := webhook.New(webhook.Config{
			KubeconfigFile: o.AuthenticationTokenWebhookConfigFile,
			Version:        o.AuthenticationTokenWebhookVersion,
			APIAudiences:   apiAudiences,
		})
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, authn.NewTokenCache(wh, o.AuthenticationTokenWebhookCacheTTL, o.AuthenticationTokenWebhookCacheTTL))
	}
	return tokens, nil
}

// jwtAuthenticator builds the JWT issuers of --authentication-config (file is then
// set) or of the --oidc-* flags; nil when neither is set.
func (s *Server) jwtAuthenticator() (jwt authn.TokenAuthenticator, file *oidc.FileAuthenticator, err error) {
	o := s.cfg.AuthenticationOptions
	opts := oidc.Options{DisallowedIssuers: s.cfg.ServiceAccountIssuers}
	if o.AuthenticationConfigFile != "" {
		f, err := oidc.NewFileAuthenticator(o.AuthenticationConfigFile, opts, o.AuthenticationConfigReloadInterval)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to load authentication configuration from file %q: %w", o.AuthenticationConfigFile, err)
		}
		return f, f, nil
	}
	flags := o.oidcFlags()
	if !flags.Set() {
		return nil, nil, nil
	}
	jwtCfg, algs, err := flags.Configuration()
	if err != nil {
		return nil, nil, err
	}
	opts.SigningAlgs = algs
	a, err := oidc.New(jwtCfg, opts)
	if err != nil {
		return nil, nil, err
	}
	return a, nil, nil
}

func (o AuthenticationOptions) oidcFlags() oidc.FlagOptions {
	return oidc.FlagOptions{
		IssuerURL: o.OIDCIssuerURL, ClientID: o.OIDCClientID, CAFile: o.OIDCCAFile,
		UsernameClaim: o.OIDCUsernameClaim, UsernamePrefix: o.OIDCUsernamePrefix,
		GroupsClaim: o.OIDCGroupsClaim, GroupsPrefix: o.OIDCGroupsPrefix,
		SigningAlgs: o.OIDCSigningAlgs, RequiredClaims: o.OIDCRequiredClaims,
	}
}

// withAnonymousConfig applies the anonymous section of --authentication-config:
// requests without credentials fail unless anonymous access is enabled for their
// path. As upstream, it excludes --anonymous-auth=false.
func (s *Server) withAnonymousConfig(next authn.Authenticator, file *oidc.FileAuthenticator) (authn.Authenticator, error) {
	c, err := file.Config()
	if err != nil || c.Anonymous == nil {
		return next, err
	}
	if !s.cfg.AnonymousAuth {
		return nil, fmt.Errorf("anonymous: Forbidden: --anonymous-auth flag cannot be set when anonymous field is configured in authentication configuration file")
	}
	paths := map[string]bool{}
	for _, cond := range c.Anonymous.Conditions {
		paths[cond.Path] = true
	}
	return authn.AnonymousPaths{Next: next, Enabled: c.Anonymous.Enabled, Paths: paths}, nil
}
