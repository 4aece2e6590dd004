package oidc

import (
	"errors"
	"os"
	"sort"
)

// FlagOptions are the legacy --oidc-* flags.
type FlagOptions struct {
	IssuerURL      string
	ClientID       string
	CAFile         string
	UsernameClaim  string
	UsernamePrefix string
	GroupsClaim    string
	GroupsPrefix   string
	SigningAlgs    []string
	RequiredClaims map[string]string
}

// Set reports whether any of the flags is set.
func (o FlagOptions) Set() bool {
	return o.IssuerURL != "" || o.ClientID != "" || o.CAFile != "" || o.UsernameClaim != "" || o.UsernamePrefix != "" ||
		o.GroupsClaim != "" || o.GroupsPrefix != "" || len(o.SigningAlgs) > 0 || len(o.RequiredClaims) > 0
}

// Configuration turns the flags into the one-issuer configuration upstream builds
// from them, and the signing algorithms they allow.
func (o FlagOptions) Configuration() (*AuthenticationConfiguration, []string, error) {
	if o.IssuerURL == "" || o.ClientID == "" {
		return nil, nil, errors.New("oidc-issuer-url and oidc-client-id must be specified together when any oidc-* flags are set")
	}
	claim := o.UsernameClaim
	if claim == "" {
		claim = "sub"
	}
	prefix := o.UsernamePrefix
	switch {
	case prefix == "-":
		// "-" asks for no prefix at all.
		prefix = ""
	case prefix == "" && claim != "email":
		// Upstream's legacy default: names other than e-mails are qualified by the issuer.
		prefix = o.IssuerURL + "#"
	}
	a := JWTAuthenticator{
		Issuer: Issuer{URL: o.IssuerURL, Audiences: []string{o.ClientID}},
		ClaimMappings: ClaimMappings{
			Username: PrefixedClaimOrExpression{Claim: claim, Prefix: &prefix},
		},
	}
	if o.GroupsClaim != "" {
		gp := o.GroupsPrefix
		a.ClaimMappings.Groups = PrefixedClaimOrExpression{Claim: o.GroupsClaim, Prefix: &gp}
	}
	if o.CAFile != "" {
		ca, err := os.ReadFile(o.CAFile)
		if err != nil {
			return nil, nil, err
		}
		a.Issuer.CertificateAuthority = string(ca)
	}
	claims := make([]string, 0, len(o.RequiredClaims))
	for c := range o.RequiredClaims {
		claims = append(claims, c)
	}
	sort.Strings(claims)
	for _, c := range claims {
		a.ClaimValidationRules = append(a.ClaimValidationRules, ClaimValidationRule{Claim: c, RequiredValue: o.RequiredClaims[c]})
	}
	algs := o.SigningAlgs
	if len(algs) == 0 {
		algs = []string{"RS256"}
	}
	return &AuthenticationConfiguration{JWT: []JWTAuthenticator{a}}, algs, nil
}
