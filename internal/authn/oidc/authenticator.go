package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/cel-go/common/types"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

// issuerAuthenticator authenticates the tokens of one configured issuer.
type issuerAuthenticator struct {
	rules    *compiled
	verifier *verifier
}

func newIssuerAuthenticator(c *compiled, algs []string, now func() time.Time) (*issuerAuthenticator, error) {
	joseAlgs, err := signatureAlgorithms(algs)
	if err != nil {
		return nil, err
	}
	p, err := newProvider(c.config.Issuer)
	if err != nil {
		return nil, err
	}
	return &issuerAuthenticator{rules: c, verifier: &verifier{
		issuer: c.config.Issuer.URL, audiences: c.config.Issuer.Audiences, algs: joseAlgs, provider: p, now: now,
	}}, nil
}

// AuthenticateToken implements authn.TokenAuthenticator: a token of another issuer
// gets no opinion; one of this issuer that fails any check is an error.
func (a *issuerAuthenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	if iss, ok := untrustedIssuer(token); !ok || iss != a.verifier.issuer {
		return nil, false, nil
	}
	if err := a.verifier.provider.ready(ctx); err != nil {
		return nil, false, fmt.Errorf("oidc: authenticator not initialized: %w", err)
	}
	c, err := a.verifier.verify(ctx, token)
	if err != nil {
		return nil, false, err
	}
	u, err := a.userFor(ctx, c)
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// userFor maps the verified claims to the user and applies the validation rules.
func (a *issuerAuthenticator) userFor(ctx context.Context, c claims) (*request.User, error) {
	r := a.rules
	var celClaims map[string]any
	if r.username != nil || r.groups != nil || r.uid != nil || len(r.extra) > 0 || len(r.claimRules) > 0 {
		if err := decodeClaims(c, &celClaims); err != nil {
			return nil, err
		}
	}
	name, err := a.username(ctx, c, celClaims)
	if err != nil {
		return nil, err
	}
	u := &request.User{Name: name}
	if u.Groups, err = a.groupsOf(ctx, c, celClaims); err != nil {
		return nil, err
	}
	if u.UID, err = a.uidOf(ctx, c, celClaims); err != nil {
		return nil, err
	}
	extra, err := a.extraOf(ctx, c, celClaims)
	if err != nil {
		return nil, err
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	for _, rc := range r.requiredClaims {
		if !c.has(rc.Claim) {
			return nil, fmt.Errorf("oidc: required claim %s not present in ID token", rc.Claim)
		}
		var v string
		if err := c.unmarshal(rc.Claim, &v); err != nil {
			return nil, fmt.Errorf("oidc: parse claim %s: %w", rc.Claim, err)
		}
		if v != rc.RequiredValue {
			return nil, fmt.Errorf("oidc: required claim %s value does not match. Got = %s, want = %s", rc.Claim, v, rc.RequiredValue)
		}
	}
	if err := checkRules(ctx, r.claimRules, claimsVar, celClaims); err != nil {
		return nil, fmt.Errorf("oidc: error evaluating claim validation expression: %w", err)
	}
	if len(r.userRules) > 0 {
		if err := checkRules(ctx, r.userRules, userVar, userValue(u)); err != nil {
			return nil, fmt.Errorf("oidc: error evaluating user info validation rule: %w", err)
		}
	}
	return u, nil
}

// decodeClaims turns the claims into plain values (numbers as float64) for CEL.
func decodeClaims(c claims, into *map[string]any) error {
	out := make(map[string]any, len(c))
	for k, raw := range c {
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("oidc: claim %q failed to unmarshal: %w", k, err)
		}
		out[k] = v
	}
	*into = out
	return nil
}

func (a *issuerAuthenticator) username(ctx context.Context, c claims, celClaims map[string]any) (string, error) {
	if e := a.rules.username; e != nil {
		v, err := e.eval(ctx, claimsVar, celClaims)
		if err != nil {
			return "", fmt.Errorf("oidc: error evaluating username claim expression: %w", err)
		}
		name, ok := stringOf(v)
		if !ok {
			return "", errors.New("oidc: error evaluating username claim expression: username claim expression must return a string")
		}
		if name == "" {
			return "", errors.New("oidc: empty username via CEL expression is not allowed")
		}
		return name, nil
	}
	m := a.rules.config.ClaimMappings.Username
	var name string
	if err := c.unmarshal(m.Claim, &name); err != nil {
		return "", fmt.Errorf("oidc: parse username claims %q: %v", m.Claim, err)
	}
	if m.Claim == "email" && c.has("email_verified") {
		var verified bool
		if err := c.unmarshal("email_verified", &verified); err != nil {
			return "", fmt.Errorf("oidc: parse 'email_verified' claim: %v", err)
		}
		if !verified {
			return "", errors.New("oidc: email not verified")
		}
	}
	if m.Prefix != nil {
		name = *m.Prefix + name
	}
	return name, nil
}

// stringOrList is a claim that may be one string or a list of them.
type stringOrList []string

func (s *stringOrList) UnmarshalJSON(b []byte) error {
	var l []string
	if err := json.Unmarshal(b, &l); err == nil {
		*s = l
		return nil
	}
	var one string
	if err := json.Unmarshal(b, &one); err != nil {
		return err
	}
	*s = stringOrList{one}
	return nil
}

func (a *issuerAuthenticator) groupsOf(ctx context.Context, c claims, celClaims map[string]any) ([]string, error) {
	m := a.rules.config.ClaimMappings.Groups
	if m.Claim != "" && c.has(m.Claim) {
		var groups stringOrList
		if err := c.unmarshal(m.Claim, &groups); err != nil {
			return nil, fmt.Errorf("oidc: parse groups claim %q: %w", m.Claim, err)
		}
		if m.Prefix != nil && *m.Prefix != "" {
			for i := range groups {
				groups[i] = *m.Prefix + groups[i]
			}
		}
		return groups, nil
	}
	e := a.rules.groups
	if e == nil {
		return nil, nil
	}
	v, err := e.eval(ctx, claimsVar, celClaims)
	if err != nil {
		return nil, fmt.Errorf("oidc: error evaluating group claim expression: %w", err)
	}
	groups, err := stringListOf(v)
	if err != nil {
		return nil, fmt.Errorf("oidc: error evaluating group claim expression: %w", err)
	}
	return groups, nil
}

func (a *issuerAuthenticator) uidOf(ctx context.Context, c claims, celClaims map[string]any) (string, error) {
	if claim := a.rules.config.ClaimMappings.UID.Claim; claim != "" {
		var uid string
		if err := c.unmarshal(claim, &uid); err != nil {
			return "", fmt.Errorf("oidc: parse uid claim %q: %w", claim, err)
		}
		return uid, nil
	}
	e := a.rules.uid
	if e == nil {
		return "", nil
	}
	v, err := e.eval(ctx, claimsVar, celClaims)
	if err != nil {
		return "", fmt.Errorf("oidc: error evaluating uid claim expression: %w", err)
	}
	uid, ok := stringOf(v)
	if !ok {
		return "", errors.New("oidc: error evaluating uid claim expression: uid claim expression must return a string")
	}
	return uid, nil
}

func (a *issuerAuthenticator) extraOf(ctx context.Context, c claims, celClaims map[string]any) (map[string][]string, error) {
	extra := map[string][]string{}
	var jti string
	if c.has("jti") && c.unmarshal("jti", &jti) == nil && jti != "" {
		extra[authn.CredentialIDKey] = []string{"JTI=" + jti}
	}
	for _, e := range a.rules.extra {
		v, err := e.eval(ctx, claimsVar, celClaims)
		if err != nil {
			return nil, err
		}
		values, err := stringListOf(v)
		if err != nil {
			return nil, fmt.Errorf("oidc: error evaluating extra claim expression: %s: %w", e.source, err)
		}
		if len(values) > 0 {
			extra[e.key] = values
		}
	}
	return extra, nil
}

// checkRules evaluates validation rules in order; the first false one fails with
// its message.
func checkRules(ctx context.Context, rules []*expression, variable string, value any) error {
	for _, r := range rules {
		v, err := r.eval(ctx, variable, value)
		if err != nil {
			return err
		}
		b, ok := v.(types.Bool)
		if !ok {
			return errors.New("validation expression must return a boolean")
		}
		if !b {
			return fmt.Errorf("validation expression '%s' failed: %s", r.source, r.message)
		}
	}
	return nil
}

// userValue is the user as userValidationRules see it.
func userValue(u *request.User) map[string]any {
	groups := u.Groups
	if groups == nil {
		groups = []string{}
	}
	extra := u.Extra
	if extra == nil {
		extra = map[string][]string{}
	}
	return map[string]any{"username": u.Name, "uid": u.UID, "groups": groups, "extra": extra}
}
