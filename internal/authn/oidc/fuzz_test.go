package oidc

import (
	"context"
	"testing"
	"time"
)

// FuzzAuthenticateToken feeds arbitrary bearer tokens to an authenticator whose
// issuer is unreachable: parsing never panics and a token never authenticates.
func FuzzAuthenticateToken(f *testing.F) {
	a, err := New(&AuthenticationConfiguration{JWT: []JWTAuthenticator{{
		Issuer:        Issuer{URL: "https://127.0.0.1:1", Audiences: []string{"kapi"}},
		ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("")}},
	}}}, Options{})
	if err != nil {
		f.Fatal(err)
	}
	// A failed discovery is remembered, so the fuzzer does not dial each time.
	_ = a.Ready(context.Background())
	for _, s := range []string{"", "a.b.c", "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJodHRwczovLzEyNy4wLjAuMToxIn0.x", "{\"payload\":\"\"}", "...", "e30.e30.e30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		if _, ok, _ := a.AuthenticateToken(context.Background(), token); ok {
			t.Fatalf("token %q authenticated", token)
		}
		_, _ = untrustedIssuer(token)
	})
}

// FuzzParseConfig decodes and validates arbitrary configuration files (expressions
// are compiled): no panic, and what validates builds.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		configYAML("", "https://issuer.example"),
		"apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://i, audiences: [a]}\n  claimMappings:\n    username: {expression: 'claims.sub'}\n    extra: [{key: a.io/b, valueExpression: 'claims.x'}]\n  userValidationRules: [{expression: 'user.username != \"\"'}]\n",
		"{}", "kind: AuthenticationConfiguration\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(data)
		if err != nil {
			return
		}
		if _, errs := ValidateConfig(c, nil); len(errs) > 0 {
			return
		}
		a, err := New(c, Options{Now: time.Now})
		if err != nil {
			t.Fatalf("validated configuration does not build: %v", err)
		}
		a.close()
	})
}
