package oidc

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// AllSigningAlgorithms are the algorithms an issuer may sign with: RSA and ECDSA,
// as upstream's allow list.
var AllSigningAlgorithms = []string{"ES256", "ES384", "ES512", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512"}

// claims are a token's claims, each decoded only when used.
type claims map[string]json.RawMessage

func (c claims) has(name string) bool { _, ok := c[name]; return ok }

func (c claims) unmarshal(name string, v any) error {
	raw, ok := c[name]
	if !ok {
		return errors.New("claim not present")
	}
	return json.Unmarshal(raw, v)
}

// untrustedIssuer reads "iss" from a compact JWT without verifying it, to pick the
// authenticator of its issuer.
func untrustedIssuer(token string) (string, bool) {
	if strings.HasPrefix(strings.TrimSpace(token), "{") {
		return "", false
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var c struct {
		Issuer string `json:"iss"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return "", false
	}
	// Google's legacy issuer spelling, which upstream coalesces.
	if c.Issuer == "accounts.google.com" {
		return "https://accounts.google.com", true
	}
	return c.Issuer, true
}

// audience is the "aud" claim: a string or a list of strings.
type audience []string

func (a *audience) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*a = audience{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*a = l
	return nil
}

// numericDate is a JWT time: seconds since the epoch, possibly fractional.
type numericDate time.Time

func (d *numericDate) UnmarshalJSON(b []byte) error {
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return fmt.Errorf("time %v out of range", f)
	}
	sec, frac := math.Modf(f)
	*d = numericDate(time.Unix(int64(sec), int64(frac*1e9)))
	return nil
}

// nbfLeeway tolerates clock skew on "nbf", as the OIDC library upstream uses.
const nbfLeeway = time.Minute

// verifier checks a token of one issuer: claims first (cheap, and before a key
// refresh could be triggered), then the signature.
type verifier struct {
	issuer    string
	audiences []string
	algs      []jose.SignatureAlgorithm
	provider  *provider
	now       func() time.Time
}

func (v *verifier) verify(ctx context.Context, token string) (claims, error) {
	jws, err := jose.ParseSignedCompact(token, v.algs)
	if err != nil {
		return nil, fmt.Errorf("oidc: malformed jwt: %w", err)
	}
	payload := jws.UnsafePayloadWithoutVerification()
	var c claims
	var std struct {
		Issuer    string       `json:"iss"`
		Audience  audience     `json:"aud"`
		Expiry    numericDate  `json:"exp"`
		NotBefore *numericDate `json:"nbf"`
	}
	if err := json.Unmarshal(payload, &c); err != nil {
		return nil, fmt.Errorf("oidc: failed to unmarshal claims: %w", err)
	}
	if err := json.Unmarshal(payload, &std); err != nil {
		return nil, fmt.Errorf("oidc: failed to unmarshal claims: %w", err)
	}
	if std.Issuer != v.issuer {
		return nil, fmt.Errorf("oidc: id token issued by a different provider, expected %q got %q", v.issuer, std.Issuer)
	}
	if !slices.ContainsFunc(std.Audience, func(a string) bool { return slices.Contains(v.audiences, a) }) {
		return nil, fmt.Errorf("oidc: expected audience in %q got %q", sortedCopy(v.audiences), []string(std.Audience))
	}
	now := v.now()
	if exp := time.Time(std.Expiry); exp.Before(now) {
		return nil, fmt.Errorf("oidc: token is expired (Token Expiry: %v)", exp)
	}
	if std.NotBefore != nil {
		if nbf := time.Time(*std.NotBefore); now.Add(nbfLeeway).Before(nbf) {
			return nil, fmt.Errorf("oidc: current time %v before the nbf (not before) time: %v", now, nbf)
		}
	}
	if _, err := v.provider.verifySignature(ctx, jws); err != nil {
		return nil, fmt.Errorf("oidc: failed to verify signature: %w", err)
	}
	return c, nil
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

func signatureAlgorithms(names []string) ([]jose.SignatureAlgorithm, error) {
	if len(names) == 0 {
		names = []string{"RS256"}
	}
	out := make([]jose.SignatureAlgorithm, 0, len(names))
	for _, n := range names {
		if !slices.Contains(AllSigningAlgorithms, n) {
			return nil, fmt.Errorf("oidc: unsupported signing alg: %q", n)
		}
		out = append(out, jose.SignatureAlgorithm(n))
	}
	return out, nil
}
