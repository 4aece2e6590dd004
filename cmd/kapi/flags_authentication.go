package main

import (
	"time"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// addAuthenticationFlags registers kube-apiserver's front proxy, bootstrap token,
// OIDC, authentication configuration and token webhook flags.
func addAuthenticationFlags(f *pflag.FlagSet, o *server.AuthenticationOptions, oidcRequiredClaims *[]string) {
	f.StringVar(&o.RequestHeaderClientCAFile, "requestheader-client-ca-file", "", "root certificate bundle to verify client certificates on incoming requests before trusting usernames in headers specified by --requestheader-username-headers")
	f.StringSliceVar(&o.RequestHeaderAllowedNames, "requestheader-allowed-names", nil, "client certificate common names allowed to provide usernames in headers; empty allows any certificate of --requestheader-client-ca-file")
	f.StringSliceVar(&o.RequestHeaderUsernameHeaders, "requestheader-username-headers", nil, "request headers to inspect for usernames; X-Remote-User is common")
	f.StringSliceVar(&o.RequestHeaderUIDHeaders, "requestheader-uid-headers", nil, "request headers to inspect for UIDs; X-Remote-Uid is suggested")
	f.StringSliceVar(&o.RequestHeaderGroupHeaders, "requestheader-group-headers", nil, "request headers to inspect for groups; X-Remote-Group is suggested")
	f.StringSliceVar(&o.RequestHeaderExtraHeaderPrefixes, "requestheader-extra-headers-prefix", nil, "request header prefixes to inspect for user extras; X-Remote-Extra- is suggested")
	f.BoolVar(&o.EnableBootstrapTokenAuth, "enable-bootstrap-token-auth", false, "allow secrets of type 'bootstrap.kubernetes.io/token' in the 'kube-system' namespace to be used for TLS bootstrapping authentication")
	f.StringVar(&o.OIDCIssuerURL, "oidc-issuer-url", "", "the URL of the OpenID issuer (https only); if set, it will be used to verify the OIDC JSON Web Token (JWT)")
	f.StringVar(&o.OIDCClientID, "oidc-client-id", "", "the client ID for the OpenID Connect client; must be set if --oidc-issuer-url is set")
	f.StringVar(&o.OIDCCAFile, "oidc-ca-file", "", "the OpenID server's certificate is verified by one of the authorities in this file; otherwise the host's root CA set is used")
	f.StringVar(&o.OIDCUsernameClaim, "oidc-username-claim", "", "the OpenID claim to use as the user name (default \"sub\")")
	f.StringVar(&o.OIDCUsernamePrefix, "oidc-username-prefix", "", "prefix prepended to username claims; empty prefixes claims other than 'email' with the issuer URL, '-' disables prefixing")
	f.StringVar(&o.OIDCGroupsClaim, "oidc-groups-claim", "", "the OpenID claim to use as the user's groups (a string or an array of strings)")
	f.StringVar(&o.OIDCGroupsPrefix, "oidc-groups-prefix", "", "prefix prepended to group claims")
	f.StringSliceVar(&o.OIDCSigningAlgs, "oidc-signing-algs", nil, "comma-separated list of allowed JOSE asymmetric signing algorithms (default RS256)")
	f.StringArrayVar(oidcRequiredClaims, "oidc-required-claim", nil, "a key=value pair that describes a required claim in the ID Token; repeat for several claims")
	f.StringVar(&o.AuthenticationConfigFile, "authentication-config", "", "file with the AuthenticationConfiguration of the JWT authenticators (and anonymous access); exclusive with the --oidc-* flags")
	f.StringVar(&o.AuthenticationTokenWebhookConfigFile, "authentication-token-webhook-config-file", "", "file with webhook configuration for token authentication in kubeconfig format")
	f.StringVar(&o.AuthenticationTokenWebhookVersion, "authentication-token-webhook-version", "v1beta1", "the API version of the authentication.k8s.io TokenReview to send to and expect from the webhook")
	f.DurationVar(&o.AuthenticationTokenWebhookCacheTTL, "authentication-token-webhook-cache-ttl", 2*time.Minute, "the duration to cache responses from the webhook token authenticator")
}
