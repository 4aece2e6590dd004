// Package oidc authenticates JSON Web Tokens of external OpenID Connect issuers, as
// kube-apiserver's JWT authenticator: configured by the legacy --oidc-* flags or by
// the structured AuthenticationConfiguration (--authentication-config, reloaded when
// the file changes) with several issuers, audiences, claim mappings and CEL claim
// and user validation rules. Each issuer's keys are found through its
// /.well-known/openid-configuration and refreshed when a token names an unknown key.
// Distributed claims (_claim_names/_claim_sources) are not resolved.
package oidc
