package server

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// AuthenticationOptions are kube-apiserver's flags for the authenticators beyond
// client certificates, the token file and service accounts: the authenticating
// front proxy, bootstrap tokens, OpenID Connect / JWT issuers and the token webhook.
type AuthenticationOptions struct {
	// RequestHeaderClientCAFile holds the CAs of the front proxy's client
	// certificate (--requestheader-client-ca-file); empty disables the front proxy.
	RequestHeaderClientCAFile string
	// RequestHeaderAllowedNames are the proxy certificate common names accepted
	// (--requestheader-allowed-names); empty accepts any the CAs verify.
	RequestHeaderAllowedNames []string
	// RequestHeaderUsernameHeaders, -UIDHeaders, -GroupHeaders and
	// -ExtraHeaderPrefixes name the headers carrying the user
	// (--requestheader-username-headers, ...).
	RequestHeaderUsernameHeaders     []string
	RequestHeaderUIDHeaders          []string
	RequestHeaderGroupHeaders        []string
	RequestHeaderExtraHeaderPrefixes []string

	// EnableBootstrapTokenAuth authenticates bootstrap tokens from kube-system
	// Secrets (--enable-bootstrap-token-auth).
	EnableBootstrapTokenAuth bool

	// OIDC* are the legacy single-issuer flags (--oidc-issuer-url, ...); an empty
	// OIDCUsernameClaim means "sub" and empty OIDCSigningAlgs mean RS256.
	OIDCIssuerURL      string
	OIDCClientID       string
	OIDCCAFile         string
	OIDCUsernameClaim  string
	OIDCUsernamePrefix string
	OIDCGroupsClaim    string
	OIDCGroupsPrefix   string
	OIDCSigningAlgs    []string
	OIDCRequiredClaims map[string]string
	// AuthenticationConfigFile is an AuthenticationConfiguration
	// (--authentication-config), exclusive with the OIDC* flags; it is read again
	// when it changes, checked at most every AuthenticationConfigReloadInterval
	// (0: a minute).
	AuthenticationConfigFile           string
	AuthenticationConfigReloadInterval time.Duration

	// AuthenticationTokenWebhookConfigFile is the kubeconfig of the token webhook
	// (--authentication-token-webhook-config-file).
	AuthenticationTokenWebhookConfigFile string
	// AuthenticationTokenWebhookVersion is the TokenReview version sent: v1 or
	// v1beta1 (empty: v1beta1, upstream's default).
	AuthenticationTokenWebhookVersion string
	// AuthenticationTokenWebhookCacheTTL is how long the webhook's answers are
	// cached (--authentication-token-webhook-cache-ttl, 2m by the flag); 0 does not
	// cache.
	AuthenticationTokenWebhookCacheTTL time.Duration
}

// validateAuthentication checks the options with kube-apiserver's rules.
func (o *AuthenticationOptions) validateAuthentication() error {
	var errs []error
	for _, f := range []struct {
		flag   string
		values []string
	}{
		{"requestheader-username-headers", o.RequestHeaderUsernameHeaders},
		{"requestheader-group-headers", o.RequestHeaderGroupHeaders},
		{"requestheader-extra-headers-prefix", o.RequestHeaderExtraHeaderPrefixes},
		{"requestheader-allowed-names", o.RequestHeaderAllowedNames},
		{"requestheader-uid-headers", o.RequestHeaderUIDHeaders},
	} {
		if slices.ContainsFunc(f.values, func(v string) bool { return strings.TrimSpace(v) == "" }) {
			errs = append(errs, fmt.Errorf("empty value in %q", f.flag))
		}
	}
	if len(o.RequestHeaderUIDHeaders) > 0 && !slices.ContainsFunc(o.RequestHeaderUIDHeaders, func(h string) bool { return strings.EqualFold(h, "X-Remote-Uid") }) {
		errs = append(errs, errors.New("--requestheader-uid-headers is set without specifying the standard X-Remote-Uid header - API aggregation will not work"))
	}
	if o.AuthenticationConfigFile != "" && o.oidcFlags().Set() {
		errs = append(errs, errors.New("authentication-config file and oidc-* flags are mutually exclusive"))
	}
	switch o.AuthenticationTokenWebhookVersion {
	case "", "v1", "v1beta1":
	default:
		errs = append(errs, fmt.Errorf("unsupported authentication webhook version %q, supported versions are \"v1\", \"v1beta1\"", o.AuthenticationTokenWebhookVersion))
	}
	if o.AuthenticationTokenWebhookCacheTTL < 0 {
		errs = append(errs, errors.New("--authentication-token-webhook-cache-ttl must not be negative"))
	}
	return errors.Join(errs...)
}
