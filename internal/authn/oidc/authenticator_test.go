package oidc

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/kapi-dev/kapi/internal/request"
)

func ptr(s string) *string { return &s }

// claimsAt are the standard claims of a token of iss for aud, valid around now.
func claimsAt(iss string, now time.Time, extra map[string]any) map[string]any {
	c := map[string]any{"iss": iss, "aud": "kapi", "sub": "alice", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	for k, v := range extra {
		if v == nil {
			delete(c, k)
			continue
		}
		c[k] = v
	}
	return c
}

func TestJWTAuthenticatorClaimMappings(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	ti.addKey(t, "rsa", jose.RS256, true)
	ti.addKey(t, "unpublished", jose.ES256, false)
	iss := ti.url("")
	now := time.Now()
	cfg := &AuthenticationConfiguration{JWT: []JWTAuthenticator{{
		Issuer: Issuer{URL: iss, Audiences: []string{"kapi", "other"}, AudienceMatchPolicy: AudienceMatchAny, CertificateAuthority: ti.caPEM},
		ClaimValidationRules: []ClaimValidationRule{
			{Claim: "hd", RequiredValue: "example.com"},
			{Expression: "claims.exp - claims.iat <= 86400", Message: "token lives too long"},
		},
		ClaimMappings: ClaimMappings{
			Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("oidc:")},
			Groups:   PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("g:")},
			UID:      ClaimOrExpression{Claim: "uid"},
			Extra:    []ExtraMapping{{Key: "example.com/tenant", ValueExpression: "claims.?tenant.orValue('')"}},
		},
		UserValidationRules: []UserValidationRule{{Expression: "!user.username.startsWith('oidc:system:')", Message: "no system users"}},
	}}}
	a, err := New(cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	base := map[string]any{"hd": "example.com", "uid": "u-1", "groups": []string{"devs", "ops"}}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return claimsAt(iss, now, m)
	}
	tests := []struct {
		name      string
		token     string
		want      *request.User
		ok        bool
		errSubstr string
	}{
		{name: "valid", token: ti.sign(t, "k1", with("tenant", "t1", "jti", "id-1")), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1", Groups: []string{"g:devs", "g:ops"},
				Extra: map[string][]string{"example.com/tenant": {"t1"}, "authentication.kubernetes.io/credential-id": {"JTI=id-1"}}}},
		{name: "RSA key", token: ti.sign(t, "rsa", with()), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1", Groups: []string{"g:devs", "g:ops"}}},
		{name: "second audience, audience list", token: ti.sign(t, "k1", with("aud", []string{"x", "other"})), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1", Groups: []string{"g:devs", "g:ops"}}},
		{name: "groups claim as one string", token: ti.sign(t, "k1", with("groups", "admins")), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1", Groups: []string{"g:admins"}}},
		{name: "no groups claim", token: ti.sign(t, "k1", with("groups", nil)), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1"}},
		{name: "nbf within the leeway", token: ti.sign(t, "k1", with("nbf", now.Add(30*time.Second).Unix())), ok: true,
			want: &request.User{Name: "oidc:alice", UID: "u-1", Groups: []string{"g:devs", "g:ops"}}},
		{name: "expired", token: ti.sign(t, "k1", with("exp", now.Add(-time.Minute).Unix())), errSubstr: "oidc: token is expired"},
		{name: "no exp", token: ti.sign(t, "k1", with("exp", nil)), errSubstr: "oidc: token is expired"},
		{name: "not yet valid", token: ti.sign(t, "k1", with("nbf", now.Add(time.Hour).Unix())), errSubstr: "before the nbf (not before) time"},
		{name: "wrong audience", token: ti.sign(t, "k1", with("aud", "someone-else")), errSubstr: `oidc: expected audience in ["kapi" "other"] got ["someone-else"]`},
		{name: "another issuer is no opinion", token: ti.sign(t, "k1", claimsAt("https://elsewhere.example", now, base))},
		{name: "not a JWT is no opinion", token: "abc.def"},
		{name: "unknown key", token: ti.sign(t, "unpublished", with()), errSubstr: "failed to verify id token signature"},
		{name: "HMAC signature refused", token: hmacToken(t, with()), errSubstr: "oidc: malformed jwt"},
		{name: "missing required claim", token: ti.sign(t, "k1", with("hd", nil)), errSubstr: "oidc: required claim hd not present in ID token"},
		{name: "wrong required claim", token: ti.sign(t, "k1", with("hd", "evil.com")), errSubstr: "required claim hd value does not match. Got = evil.com, want = example.com"},
		{name: "claim validation expression false", token: ti.sign(t, "k1", with("exp", now.Add(48*time.Hour).Unix())),
			errSubstr: "oidc: error evaluating claim validation expression: validation expression 'claims.exp - claims.iat <= 86400' failed: token lives too long"},
		{name: "user validation rule false", token: ti.sign(t, "k1", with("sub", "system:admin")),
			errSubstr: "oidc: error evaluating user info validation rule: validation expression '!user.username.startsWith('oidc:system:')' failed: no system users"},
		{name: "missing uid claim", token: ti.sign(t, "k1", with("uid", nil)), errSubstr: `oidc: parse uid claim "uid": claim not present`},
		{name: "username claim not a string", token: ti.sign(t, "k1", with("sub", 42)), errSubstr: `oidc: parse username claims "sub"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(context.Background(), tc.token)
			if ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateToken = %+v,%v,%v; want %+v,%v", u, ok, err, tc.want, tc.ok)
			}
			if (err != nil) != (tc.errSubstr != "") || (err != nil && !strings.Contains(err.Error(), tc.errSubstr)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
			}
		})
	}
}

func TestJWTAuthenticatorCELMappings(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	iss := ti.url("/tenant-a")
	now := time.Now()
	cfg := &AuthenticationConfiguration{JWT: []JWTAuthenticator{{
		Issuer:               Issuer{URL: iss, Audiences: []string{"kapi"}, CertificateAuthority: ti.caPEM},
		ClaimValidationRules: []ClaimValidationRule{{Expression: "claims.?email_verified.orValue(false) == true", Message: "e-mail not verified"}},
		ClaimMappings: ClaimMappings{
			Username: PrefixedClaimOrExpression{Expression: "claims.email"},
			Groups:   PrefixedClaimOrExpression{Expression: "claims.?roles.orValue([]).map(r, 'role:' + r)"},
			UID:      ClaimOrExpression{Expression: "claims.sub"},
			Extra: []ExtraMapping{
				{Key: "example.com/org", ValueExpression: "claims.org"},
				{Key: "example.com/empty", ValueExpression: "''"},
			},
		},
	}}}
	a, err := New(cfg, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		claims    map[string]any
		want      *request.User
		errSubstr string
	}{
		{name: "mapped by expressions", claims: map[string]any{"email": "alice@example.com", "email_verified": true, "roles": []string{"dev", ""}, "org": []string{"acme", "x"}},
			want: &request.User{Name: "alice@example.com", UID: "alice", Groups: []string{"role:dev", "role:"}, Extra: map[string][]string{"example.com/org": {"acme", "x"}}}},
		{name: "no roles", claims: map[string]any{"email": "bob@example.com", "email_verified": true, "org": "acme"},
			want: &request.User{Name: "bob@example.com", UID: "alice", Extra: map[string][]string{"example.com/org": {"acme"}}}},
		{name: "unverified e-mail", claims: map[string]any{"email": "eve@example.com", "email_verified": false, "org": "acme"}, errSubstr: "e-mail not verified"},
		{name: "username expression of the wrong type", claims: map[string]any{"email": 7, "email_verified": true, "org": "acme"},
			errSubstr: "username claim expression must return a string"},
		{name: "empty username", claims: map[string]any{"email": "", "email_verified": true, "org": "acme"}, errSubstr: "empty username via CEL expression is not allowed"},
		{name: "missing claim in an expression", claims: map[string]any{"email": "a@b.c", "email_verified": true},
			errSubstr: "expression 'claims.org' resulted in error"},
		{name: "extra of the wrong type", claims: map[string]any{"email": "a@b.c", "email_verified": true, "org": 3},
			errSubstr: "expression must return a string or a list of strings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(context.Background(), ti.sign(t, "k1", claimsAt(iss, now, tc.claims)))
			if ok != (tc.errSubstr == "") || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateToken = %+v,%v,%v; want %+v", u, ok, err, tc.want)
			}
			if (err != nil) != (tc.errSubstr != "") || (err != nil && !strings.Contains(err.Error(), tc.errSubstr)) {
				t.Fatalf("err = %v, want one containing %q", err, tc.errSubstr)
			}
		})
	}
}

func TestJWTAuthenticatorEmailClaim(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	now := time.Now()
	flags := FlagOptions{IssuerURL: ti.url(""), ClientID: "kapi", UsernameClaim: "email"}
	cfg, algs, err := flags.Configuration()
	if err != nil {
		t.Fatal(err)
	}
	cfg.JWT[0].Issuer.CertificateAuthority = ti.caPEM
	// The flags allow RS256 only: the ES256 key must be refused, then allowed.
	if _, err := New(cfg, Options{SigningAlgs: algs, Now: func() time.Time { return now }}); err != nil {
		t.Fatal(err)
	}
	a, err := New(cfg, Options{SigningAlgs: []string{"ES256"}, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		claims    map[string]any
		want      string
		errSubstr string
	}{
		{name: "verified e-mail, no prefix", claims: map[string]any{"email": "a@example.com", "email_verified": true}, want: "a@example.com"},
		{name: "no email_verified claim", claims: map[string]any{"email": "a@example.com"}, want: "a@example.com"},
		{name: "unverified e-mail", claims: map[string]any{"email": "a@example.com", "email_verified": false}, errSubstr: "oidc: email not verified"},
		{name: "email_verified not a bool", claims: map[string]any{"email": "a@example.com", "email_verified": "yes"}, errSubstr: "parse 'email_verified' claim"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(context.Background(), ti.sign(t, "k1", claimsAt(ti.url(""), now, tc.claims)))
			if tc.errSubstr != "" {
				if ok || err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("AuthenticateToken = %v,%v,%v; want error %q", u, ok, err, tc.errSubstr)
				}
				return
			}
			if !ok || err != nil || u.Name != tc.want {
				t.Fatalf("AuthenticateToken = %+v,%v,%v; want %q", u, ok, err, tc.want)
			}
		})
	}
	t.Run("RS256 only refuses ES256 tokens", func(t *testing.T) {
		rsOnly, err := New(cfg, Options{SigningAlgs: algs, Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		_, ok, err := rsOnly.AuthenticateToken(context.Background(), ti.sign(t, "k1", claimsAt(ti.url(""), now, map[string]any{"email": "a@b.c"})))
		if ok || err == nil || !strings.Contains(err.Error(), "malformed jwt") {
			t.Fatalf("AuthenticateToken = %v,%v; want a malformed jwt error", ok, err)
		}
	})
}

func TestKeyRotation(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "old", jose.ES256, true)
	ti.addKey(t, "new", jose.ES256, false)
	now := time.Now()
	iss := ti.url("")
	a, err := New(&AuthenticationConfiguration{JWT: []JWTAuthenticator{{
		Issuer:        Issuer{URL: iss, Audiences: []string{"kapi"}, CertificateAuthority: ti.caPEM},
		ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("")}},
	}}}, Options{Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name        string
		kid         string
		publishNew  bool
		ok          bool
		keySetFetch int32
	}{
		{name: "known key: discovery and one key set fetch", kid: "old", ok: true, keySetFetch: 1},
		{name: "known key again: cached", kid: "old", ok: true, keySetFetch: 0},
		{name: "unknown kid: fetched again, still unknown", kid: "new", keySetFetch: 1},
		{name: "rotated key published: fetched again and accepted", kid: "new", publishNew: true, ok: true, keySetFetch: 1},
		{name: "rotated key cached", kid: "new", ok: true, keySetFetch: 0},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.publishNew {
				ti.publish("new")
			}
			before := ti.keySetHits.Load()
			_, ok, err := a.AuthenticateToken(context.Background(), ti.sign(t, st.kid, claimsAt(iss, now, nil)))
			if ok != st.ok || (err == nil) != st.ok {
				t.Fatalf("AuthenticateToken = %v,%v; want ok=%v", ok, err, st.ok)
			}
			if got := ti.keySetHits.Load() - before; got != st.keySetFetch {
				t.Errorf("key set fetches = %d, want %d", got, st.keySetFetch)
			}
		})
	}
	if got := ti.discoveryHits.Load(); got != 1 {
		t.Errorf("discovery fetches = %d, want 1", got)
	}
}

func TestDiscoveryFailures(t *testing.T) {
	ti := newTestIssuer(t)
	ti.addKey(t, "k1", jose.ES256, true)
	now := time.Now()
	tests := []struct {
		name      string
		issuer    Issuer
		mismatch  string
		errSubstr string
	}{
		{name: "issuer of the document differs", issuer: Issuer{URL: ti.url(""), Audiences: []string{"kapi"}, CertificateAuthority: ti.caPEM},
			mismatch: "https://impostor.example", errSubstr: `issuer did not match the issuer returned by provider, expected "` + ti.url("") + `" got "https://impostor.example"`},
		{name: "no discovery document", issuer: Issuer{URL: ti.url(""), DiscoveryURL: ptr(ti.url("/missing")), Audiences: []string{"kapi"}, CertificateAuthority: ti.caPEM},
			errSubstr: "404 Not Found"},
		{name: "untrusted certificate", issuer: Issuer{URL: ti.url(""), Audiences: []string{"kapi"}},
			errSubstr: "certificate"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ti.mu.Lock()
			ti.discoveryIssuer = tc.mismatch
			ti.mu.Unlock()
			a, err := New(&AuthenticationConfiguration{JWT: []JWTAuthenticator{{Issuer: tc.issuer,
				ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("")}}}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, ok, err := a.AuthenticateToken(context.Background(), ti.sign(t, "k1", claimsAt(ti.url(""), now, nil)))
			if ok || err == nil || !strings.Contains(err.Error(), "oidc: authenticator not initialized") || !strings.Contains(err.Error(), tc.errSubstr) {
				t.Fatalf("AuthenticateToken = %v,%v; want not initialized with %q", ok, err, tc.errSubstr)
			}
			if err := a.Ready(context.Background()); err == nil {
				t.Fatal("Ready: no error")
			}
		})
	}
	t.Run("discovery URL elsewhere", func(t *testing.T) {
		ti.mu.Lock()
		ti.discoveryIssuer = ti.url("")
		ti.mu.Unlock()
		a, err := New(&AuthenticationConfiguration{JWT: []JWTAuthenticator{{
			Issuer:        Issuer{URL: ti.url(""), DiscoveryURL: ptr(ti.url("/discovery" + wellKnownPath)), Audiences: []string{"kapi"}, CertificateAuthority: ti.caPEM},
			ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("")}}}}}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		u, ok, err := a.AuthenticateToken(context.Background(), ti.sign(t, "k1", claimsAt(ti.url(""), time.Now(), nil)))
		if !ok || err != nil || u.Name != "alice" {
			t.Fatalf("AuthenticateToken = %+v,%v,%v", u, ok, err)
		}
	})
}
