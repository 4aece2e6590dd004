// Package authn authenticates requests: x509 client certificates, the authenticating
// front proxy's request headers, static token files and anonymous access, combined
// as a union where the first success wins and a presented but invalid credential
// fails the request. Bearer token authenticators (TokenAuthenticator) are chained
// by BearerTokens; AudienceAgnostic limits tokens without an audience to the API's
// audiences and TokenCache remembers a slow authenticator's answers. Subpackages
// hold the service-account, bootstrap token, OIDC/JWT and webhook authenticators.
package authn
