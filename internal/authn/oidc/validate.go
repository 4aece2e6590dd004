package oidc

import (
	"crypto/x509"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxJWTAuthenticators is upstream's limit on configured issuers.
const maxJWTAuthenticators = 64

// compiled is a validated JWTAuthenticator with its CEL expressions compiled.
type compiled struct {
	config   JWTAuthenticator
	username *expression
	groups   *expression
	uid      *expression
	extra    []*expression
	// claimRules are the expression claim validation rules; requiredClaims the
	// claim=value ones, in configuration order.
	claimRules     []*expression
	requiredClaims []ClaimValidationRule
	userRules      []*expression
}

// ValidateConfig checks a whole configuration as kube-apiserver does; disallowed
// are issuers no JWT authenticator may claim (the service-account issuers).
func ValidateConfig(c *AuthenticationConfiguration, disallowedIssuers []string) ([]*compiled, field.ErrorList) {
	root := field.NewPath("jwt")
	if len(c.JWT) > maxJWTAuthenticators {
		return nil, field.ErrorList{field.TooMany(root, len(c.JWT), maxJWTAuthenticators)}
	}
	var errs field.ErrorList
	var out []*compiled
	seenIssuers, seenDiscovery := sets.New[string](), sets.New[string]()
	for i, a := range c.JWT {
		p := root.Index(i)
		comp, aErrs := validateJWTAuthenticator(a, p, disallowedIssuers)
		errs = append(errs, aErrs...)
		out = append(out, comp)
		if seenIssuers.Has(a.Issuer.URL) {
			errs = append(errs, field.Duplicate(p.Child("issuer", "url"), a.Issuer.URL))
		}
		seenIssuers.Insert(a.Issuer.URL)
		if d := discoveryURL(a.Issuer); d != "" {
			if seenDiscovery.Has(d) {
				errs = append(errs, field.Duplicate(p.Child("issuer", "discoveryURL"), d))
			}
			seenDiscovery.Insert(d)
		}
	}
	if an := c.Anonymous; an != nil && !an.Enabled && len(an.Conditions) > 0 {
		errs = append(errs, field.Invalid(field.NewPath("anonymous", "conditions"), an.Conditions, "enabled should be set to true when conditions are defined"))
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return out, nil
}

func discoveryURL(i Issuer) string {
	if i.DiscoveryURL == nil {
		return ""
	}
	return *i.DiscoveryURL
}

// validateJWTAuthenticator checks one issuer's configuration and compiles its
// expressions. Paths are relative to p (nil for the --oidc-* flags).
func validateJWTAuthenticator(a JWTAuthenticator, p *field.Path, disallowedIssuers []string) (*compiled, field.ErrorList) {
	c := &compiled{config: a}
	var errs field.ErrorList
	errs = append(errs, validateIssuer(a.Issuer, p.Child("issuer"), disallowedIssuers)...)
	errs = append(errs, c.compileClaimValidationRules(a.ClaimValidationRules, p.Child("claimValidationRules"))...)
	errs = append(errs, c.compileClaimMappings(a.ClaimMappings, p.Child("claimMappings"))...)
	errs = append(errs, c.compileUserValidationRules(a.UserValidationRules, p.Child("userValidationRules"))...)
	return c, errs
}

func validateIssuer(i Issuer, p *field.Path, disallowed []string) field.ErrorList {
	var errs field.ErrorList
	if i.URL == "" {
		errs = append(errs, field.Required(p.Child("url"), ""))
	} else {
		errs = append(errs, validateURL(i.URL, disallowed, p.Child("url"))...)
	}
	if d := discoveryURL(i); d != "" {
		if i.URL != "" && strings.TrimRight(i.URL, "/") == strings.TrimRight(d, "/") {
			errs = append(errs, field.Invalid(p.Child("discoveryURL"), d, "discoveryURL must be different from URL"))
		}
		errs = append(errs, validateURL(d, nil, p.Child("discoveryURL"))...)
	}
	errs = append(errs, validateAudiences(i.Audiences, i.AudienceMatchPolicy, p.Child("audiences"), p.Child("audienceMatchPolicy"))...)
	if i.CertificateAuthority != "" {
		if !x509.NewCertPool().AppendCertsFromPEM([]byte(i.CertificateAuthority)) {
			errs = append(errs, field.Invalid(p.Child("certificateAuthority"), "<omitted>", "data does not contain any valid RSA or ECDSA certificates"))
		}
	}
	if i.EgressSelectorType != "" {
		errs = append(errs, field.Invalid(p.Child("egressSelectorType"), i.EgressSelectorType, "egress selectors are not supported by kapi"))
	}
	return errs
}

func validateURL(u string, disallowed []string, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if slices.Contains(disallowed, u) {
		sorted := slices.Sorted(slices.Values(disallowed))
		errs = append(errs, field.Invalid(p, u, fmt.Sprintf("URL must not overlap with disallowed issuers: %s", sorted)))
	}
	parsed, err := url.Parse(u)
	if err != nil {
		return append(errs, field.Invalid(p, u, err.Error()))
	}
	if parsed.Scheme != "https" {
		errs = append(errs, field.Invalid(p, u, "URL scheme must be https"))
	}
	if parsed.User != nil {
		errs = append(errs, field.Invalid(p, u, "URL must not contain a username or password"))
	}
	if parsed.RawQuery != "" {
		errs = append(errs, field.Invalid(p, u, "URL must not contain a query"))
	}
	if parsed.Fragment != "" {
		errs = append(errs, field.Invalid(p, u, "URL must not contain a fragment"))
	}
	return errs
}

func validateAudiences(auds []string, policy string, p, policyPath *field.Path) field.ErrorList {
	if len(auds) == 0 {
		return field.ErrorList{field.Required(p, fmt.Sprintf("at least one %s is required", p))}
	}
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, a := range auds {
		if a == "" {
			errs = append(errs, field.Required(p.Index(i), ""))
		}
		if seen.Has(a) {
			errs = append(errs, field.Duplicate(p.Index(i), a))
		}
		seen.Insert(a)
	}
	if len(auds) > 1 && policy != AudienceMatchAny {
		errs = append(errs, field.Invalid(policyPath, policy, "audienceMatchPolicy must be MatchAny for multiple audiences"))
	}
	if len(auds) == 1 && policy != "" && policy != AudienceMatchAny {
		errs = append(errs, field.Invalid(policyPath, policy, "audienceMatchPolicy must be empty or MatchAny for single audience"))
	}
	return errs
}

func (c *compiled) compileClaimValidationRules(rules []ClaimValidationRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seenClaims, seenExprs := sets.New[string](), sets.New[string]()
	for i, r := range rules {
		rp := p.Index(i)
		switch {
		case r.Claim != "" && r.Expression != "":
			errs = append(errs, field.Invalid(rp, r.Claim, "claim and expression can't both be set"))
		case r.Claim == "" && r.Expression == "":
			errs = append(errs, field.Required(rp, "claim or expression is required"))
		case r.Claim != "":
			if r.Message != "" {
				errs = append(errs, field.Invalid(rp.Child("message"), r.Message, "may not be specified when claim is set"))
			}
			if seenClaims.Has(r.Claim) {
				errs = append(errs, field.Duplicate(rp.Child("claim"), r.Claim))
			}
			seenClaims.Insert(r.Claim)
			c.requiredClaims = append(c.requiredClaims, r)
		default:
			if r.RequiredValue != "" {
				errs = append(errs, field.Invalid(rp.Child("requiredValue"), r.RequiredValue, "may not be specified when expression is set"))
			}
			if seenExprs.Has(r.Expression) {
				errs = append(errs, field.Duplicate(rp.Child("expression"), r.Expression))
				continue
			}
			seenExprs.Insert(r.Expression)
			e, err := compileExpression(claimsVar, r.Expression, true)
			if err != nil {
				errs = append(errs, field.Invalid(rp.Child("expression"), r.Expression, err.Error()))
				continue
			}
			e.message = r.Message
			c.claimRules = append(c.claimRules, e)
		}
	}
	return errs
}

func (c *compiled) compileClaimMappings(m ClaimMappings, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	var err field.ErrorList
	c.username, err = compilePrefixed(m.Username, p.Child("username"), true)
	errs = append(errs, err...)
	c.groups, err = compilePrefixed(m.Groups, p.Child("groups"), false)
	errs = append(errs, err...)
	switch {
	case m.UID.Claim != "" && m.UID.Expression != "":
		errs = append(errs, field.Invalid(p.Child("uid"), "", "claim and expression can't both be set"))
	case m.UID.Expression != "":
		e, cerr := compileExpression(claimsVar, m.UID.Expression, false)
		if cerr != nil {
			errs = append(errs, field.Invalid(p.Child("uid", "expression"), m.UID.Expression, cerr.Error()))
		}
		c.uid = e
	}
	seenKeys := sets.New[string]()
	for i, x := range m.Extra {
		xp := p.Child("extra").Index(i)
		errs = append(errs, validation.IsDomainPrefixedPath(xp.Child("key"), x.Key)...)
		if x.Key != strings.ToLower(x.Key) {
			errs = append(errs, field.Invalid(xp.Child("key"), x.Key, "must be lowercase"))
		}
		if isKubernetesDomain(x.Key) {
			errs = append(errs, field.Invalid(xp.Child("key"), x.Key, "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use"))
		}
		if seenKeys.Has(x.Key) {
			errs = append(errs, field.Duplicate(xp.Child("key"), x.Key))
			continue
		}
		seenKeys.Insert(x.Key)
		if x.ValueExpression == "" {
			errs = append(errs, field.Required(xp.Child("valueExpression"), ""))
			continue
		}
		e, cerr := compileExpression(claimsVar, x.ValueExpression, false)
		if cerr != nil {
			errs = append(errs, field.Invalid(xp.Child("valueExpression"), x.ValueExpression, cerr.Error()))
			continue
		}
		e.key = x.Key
		c.extra = append(c.extra, e)
	}
	// An email used as the user name must be known verified: upstream requires the
	// expressions to look at claims.email_verified too.
	if c.username.selects(claimsVar, "email") && !c.usesEmailVerified() {
		errs = append(errs, field.Invalid(p.Child("username", "expression"), m.Username.Expression,
			"claims.email_verified must be used in claimMappings.username.expression or claimMappings.extra[*].valueExpression or claimValidationRules[*].expression when claims.email is used in claimMappings.username.expression"))
	}
	return errs
}

func (c *compiled) usesEmailVerified() bool {
	for _, e := range append(append([]*expression{c.username}, c.extra...), c.claimRules...) {
		if e.selects(claimsVar, "email_verified") {
			return true
		}
	}
	return false
}

// compilePrefixed checks a claim-or-expression mapping and compiles its expression.
func compilePrefixed(m PrefixedClaimOrExpression, p *field.Path, required bool) (*expression, field.ErrorList) {
	switch {
	case m.Expression != "" && m.Claim != "":
		return nil, field.ErrorList{field.Invalid(p, "", "claim and expression can't both be set")}
	case m.Expression == "" && m.Claim == "":
		if required {
			return nil, field.ErrorList{field.Required(p, "claim or expression is required")}
		}
		return nil, nil
	case m.Expression != "":
		var errs field.ErrorList
		if m.Prefix != nil {
			errs = append(errs, field.Invalid(p.Child("prefix"), *m.Prefix, "may not be specified when expression is set"))
		}
		e, err := compileExpression(claimsVar, m.Expression, false)
		if err != nil {
			return nil, append(errs, field.Invalid(p.Child("expression"), m.Expression, err.Error()))
		}
		return e, errs
	}
	if m.Prefix == nil {
		return nil, field.ErrorList{field.Required(p.Child("prefix"), "prefix is required when claim is set. It can be set to an empty string to disable prefixing")}
	}
	return nil, nil
}

func (c *compiled) compileUserValidationRules(rules []UserValidationRule, p *field.Path) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, r := range rules {
		rp := p.Index(i).Child("expression")
		if r.Expression == "" {
			errs = append(errs, field.Required(rp, ""))
			continue
		}
		if seen.Has(r.Expression) {
			errs = append(errs, field.Duplicate(rp, r.Expression))
			continue
		}
		seen.Insert(r.Expression)
		e, err := compileExpression(userVar, r.Expression, true)
		if err != nil {
			errs = append(errs, field.Invalid(rp, r.Expression, err.Error()))
			continue
		}
		e.message = r.Message
		c.userRules = append(c.userRules, e)
	}
	return errs
}

func isKubernetesDomain(key string) bool {
	domain, _, ok := strings.Cut(key, "/")
	if !ok {
		return false
	}
	for _, reserved := range []string{"kubernetes.io", "k8s.io"} {
		if domain == reserved || strings.HasSuffix(domain, "."+reserved) {
			return true
		}
	}
	return false
}
