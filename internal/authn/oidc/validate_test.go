package oidc

import (
	"strings"
	"testing"
)

func TestValidateConfig(t *testing.T) {
	valid := func() JWTAuthenticator {
		return JWTAuthenticator{
			Issuer:        Issuer{URL: "https://issuer.example", Audiences: []string{"kapi"}},
			ClaimMappings: ClaimMappings{Username: PrefixedClaimOrExpression{Claim: "sub", Prefix: ptr("")}},
		}
	}
	with := func(change func(*JWTAuthenticator)) *AuthenticationConfiguration {
		a := valid()
		change(&a)
		return &AuthenticationConfiguration{JWT: []JWTAuthenticator{a}}
	}
	tests := []struct {
		name       string
		cfg        *AuthenticationConfiguration
		disallowed []string
		want       []string
	}{
		{name: "valid", cfg: with(func(*JWTAuthenticator) {})},
		{name: "no authenticators", cfg: &AuthenticationConfiguration{}},
		{name: "issuer required", cfg: with(func(a *JWTAuthenticator) { a.Issuer.URL = "" }), want: []string{"jwt[0].issuer.url: Required value"}},
		{name: "http issuer", cfg: with(func(a *JWTAuthenticator) { a.Issuer.URL = "http://issuer.example" }),
			want: []string{`jwt[0].issuer.url: Invalid value: "http://issuer.example": URL scheme must be https`}},
		{name: "issuer with query, fragment and user", cfg: with(func(a *JWTAuthenticator) { a.Issuer.URL = "https://u:p@issuer.example/?q=1#f" }),
			want: []string{"URL must not contain a username or password", "URL must not contain a query", "URL must not contain a fragment"}},
		{name: "service-account issuer", disallowed: []string{"https://kubernetes.default.svc"}, cfg: with(func(a *JWTAuthenticator) { a.Issuer.URL = "https://kubernetes.default.svc" }),
			want: []string{"URL must not overlap with disallowed issuers: [https://kubernetes.default.svc]"}},
		{name: "discovery URL equal to URL", cfg: with(func(a *JWTAuthenticator) { a.Issuer.DiscoveryURL = ptr("https://issuer.example/") }),
			want: []string{"discoveryURL must be different from URL"}},
		{name: "no audiences", cfg: with(func(a *JWTAuthenticator) { a.Issuer.Audiences = nil }),
			want: []string{"jwt[0].issuer.audiences: Required value: at least one jwt[0].issuer.audiences is required"}},
		{name: "duplicate and empty audiences", cfg: with(func(a *JWTAuthenticator) {
			a.Issuer.Audiences = []string{"a", "a", ""}
			a.Issuer.AudienceMatchPolicy = AudienceMatchAny
		}), want: []string{`jwt[0].issuer.audiences[1]: Duplicate value: "a"`, "jwt[0].issuer.audiences[2]: Required value"}},
		{name: "several audiences need MatchAny", cfg: with(func(a *JWTAuthenticator) { a.Issuer.Audiences = []string{"a", "b"} }),
			want: []string{"audienceMatchPolicy must be MatchAny for multiple audiences"}},
		{name: "unknown match policy", cfg: with(func(a *JWTAuthenticator) { a.Issuer.AudienceMatchPolicy = "MatchAll" }),
			want: []string{"audienceMatchPolicy must be empty or MatchAny for single audience"}},
		{name: "bad CA", cfg: with(func(a *JWTAuthenticator) { a.Issuer.CertificateAuthority = "junk" }),
			want: []string{`jwt[0].issuer.certificateAuthority: Invalid value: "<omitted>"`}},
		{name: "claim without prefix", cfg: with(func(a *JWTAuthenticator) { a.ClaimMappings.Username.Prefix = nil }),
			want: []string{"jwt[0].claimMappings.username.prefix: Required value: prefix is required when claim is set. It can be set to an empty string to disable prefixing"}},
		{name: "claim and expression", cfg: with(func(a *JWTAuthenticator) { a.ClaimMappings.Username.Expression = "claims.sub" }),
			want: []string{"jwt[0].claimMappings.username: Invalid value: \"\": claim and expression can't both be set"}},
		{name: "no username mapping", cfg: with(func(a *JWTAuthenticator) { a.ClaimMappings.Username = PrefixedClaimOrExpression{} }),
			want: []string{"jwt[0].claimMappings.username: Required value: claim or expression is required"}},
		{name: "prefix with expression", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: "claims.sub", Prefix: ptr("x:")}
		}), want: []string{"jwt[0].claimMappings.username.prefix: Invalid value: \"x:\": may not be specified when expression is set"}},
		{name: "expression that does not compile", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: "claims.sub +"}
		}), want: []string{"jwt[0].claimMappings.username.expression: Invalid value: \"claims.sub +\": compilation failed"}},
		{name: "email without email_verified", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: "claims.email"}
		}), want: []string{"claims.email_verified must be used in claimMappings.username.expression"}},
		{name: "email with email_verified in a rule", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: "claims.?email.orValue('')"}
			a.ClaimValidationRules = []ClaimValidationRule{{Expression: "claims.email_verified"}}
		}), want: []string{"claimValidationRules[0].expression: Invalid value: \"claims.email_verified\": must evaluate to bool"}},
		{name: "email with email_verified in the username", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Username = PrefixedClaimOrExpression{Expression: "claims.email_verified == true ? claims.email : ''"}
		})},
		{name: "uid claim and expression", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.UID = ClaimOrExpression{Claim: "sub", Expression: "claims.sub"}
		}),
			want: []string{"jwt[0].claimMappings.uid: Invalid value: \"\": claim and expression can't both be set"}},
		{name: "extra keys", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimMappings.Extra = []ExtraMapping{
				{Key: "no-domain", ValueExpression: "'x'"},
				{Key: "Example.com/Up", ValueExpression: "'x'"},
				{Key: "foo.kubernetes.io/x", ValueExpression: "'x'"},
				{Key: "example.com/a", ValueExpression: "'x'"},
				{Key: "example.com/a", ValueExpression: "'y'"},
				{Key: "example.com/b"},
			}
		}), want: []string{"jwt[0].claimMappings.extra[0].key", "must be lowercase", "k8s.io, kubernetes.io and their subdomains are reserved for Kubernetes use",
			`jwt[0].claimMappings.extra[4].key: Duplicate value: "example.com/a"`, "jwt[0].claimMappings.extra[5].valueExpression: Required value"}},
		{name: "claim validation rules", cfg: with(func(a *JWTAuthenticator) {
			a.ClaimValidationRules = []ClaimValidationRule{
				{Claim: "hd", Expression: "true"},
				{},
				{Claim: "hd", Message: "m"},
				{Claim: "hd"},
				{Expression: "true", RequiredValue: "x"},
				{Expression: "true"},
				{Expression: "'not a bool'"},
			}
		}), want: []string{"claim and expression can't both be set", "jwt[0].claimValidationRules[1]: Required value: claim or expression is required",
			"claimValidationRules[2].message: Invalid value: \"m\": may not be specified when claim is set", `claimValidationRules[3].claim: Duplicate value: "hd"`,
			"claimValidationRules[4].requiredValue: Invalid value: \"x\": may not be specified when expression is set",
			`claimValidationRules[5].expression: Duplicate value: "true"`, "must evaluate to bool"}},
		{name: "user validation rules", cfg: with(func(a *JWTAuthenticator) {
			a.UserValidationRules = []UserValidationRule{{}, {Expression: "user.username != ''"}, {Expression: "user.username != ''"}, {Expression: "claims.sub == ''"}}
		}), want: []string{"userValidationRules[0].expression: Required value", `userValidationRules[2].expression: Duplicate value`, "undeclared reference to 'claims'"}},
		{name: "egress selector", cfg: with(func(a *JWTAuthenticator) { a.Issuer.EgressSelectorType = "cluster" }),
			want: []string{"egress selectors are not supported by kapi"}},
		{name: "duplicate issuers and discovery URLs", cfg: &AuthenticationConfiguration{JWT: []JWTAuthenticator{
			func() JWTAuthenticator { a := valid(); a.Issuer.DiscoveryURL = ptr("https://d.example"); return a }(),
			func() JWTAuthenticator { a := valid(); a.Issuer.DiscoveryURL = ptr("https://d.example"); return a }(),
		}}, want: []string{`jwt[1].issuer.url: Duplicate value: "https://issuer.example"`, `jwt[1].issuer.discoveryURL: Duplicate value: "https://d.example"`}},
		{name: "too many authenticators", cfg: &AuthenticationConfiguration{JWT: make([]JWTAuthenticator, 65)},
			want: []string{"jwt: Too many: 65: must have at most 64 items"}},
		{name: "anonymous conditions while disabled", cfg: &AuthenticationConfiguration{Anonymous: &AnonymousConfig{Conditions: []AnonymousCondition{{Path: "/healthz"}}}},
			want: []string{"anonymous.conditions: Invalid value", "enabled should be set to true when conditions are defined"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, errs := ValidateConfig(tc.cfg, tc.disallowed)
			got := errs.ToAggregate()
			if len(tc.want) == 0 {
				if got != nil {
					t.Fatalf("ValidateConfig: %v", got)
				}
				return
			}
			if got == nil {
				t.Fatalf("ValidateConfig: no error, want %q", tc.want)
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("error %q lacks %q", got, w)
				}
			}
		})
	}
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		errSubstr string
		issuers   int
	}{
		{name: "v1 YAML", issuers: 1, in: `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: https://issuer.example
    audiences: [kapi]
  claimMappings:
    username: {claim: sub, prefix: ""}
`},
		{name: "v1beta1 JSON", issuers: 0, in: `{"apiVersion":"apiserver.config.k8s.io/v1beta1","kind":"AuthenticationConfiguration","jwt":[]}`},
		{name: "empty", in: "", errSubstr: "empty config data"},
		{name: "wrong kind", in: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthorizationConfiguration\n", errSubstr: "unsupported authentication configuration"},
		{name: "wrong version", in: "apiVersion: v1\nkind: AuthenticationConfiguration\n", errSubstr: "unsupported authentication configuration"},
		{name: "unknown field", in: "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwts: []\n", errSubstr: `unknown field "jwts"`},
		{name: "not YAML", in: "{", errSubstr: "decoding the authentication configuration"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := ParseConfig([]byte(tc.in))
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("ParseConfig = %v, want an error containing %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil || len(c.JWT) != tc.issuers {
				t.Fatalf("ParseConfig = %+v, %v", c, err)
			}
		})
	}
}

func TestFlagOptions(t *testing.T) {
	tests := []struct {
		name      string
		flags     FlagOptions
		prefix    string
		claim     string
		groups    *PrefixedClaimOrExpression
		rules     []ClaimValidationRule
		algs      []string
		errSubstr string
	}{
		{name: "defaults: sub prefixed by the issuer", flags: FlagOptions{IssuerURL: "https://i.example", ClientID: "kapi"},
			claim: "sub", prefix: "https://i.example#", algs: []string{"RS256"}},
		{name: "email is not prefixed", flags: FlagOptions{IssuerURL: "https://i.example", ClientID: "kapi", UsernameClaim: "email"},
			claim: "email", prefix: "", algs: []string{"RS256"}},
		{name: "dash disables the prefix", flags: FlagOptions{IssuerURL: "https://i.example", ClientID: "kapi", UsernamePrefix: "-"},
			claim: "sub", prefix: "", algs: []string{"RS256"}},
		{name: "explicit prefix, groups, claims and algs", flags: FlagOptions{IssuerURL: "https://i.example", ClientID: "kapi", UsernamePrefix: "oidc:",
			GroupsClaim: "groups", GroupsPrefix: "g:", RequiredClaims: map[string]string{"b": "2", "a": "1"}, SigningAlgs: []string{"ES256"}},
			claim: "sub", prefix: "oidc:", groups: &PrefixedClaimOrExpression{Claim: "groups", Prefix: ptr("g:")},
			rules: []ClaimValidationRule{{Claim: "a", RequiredValue: "1"}, {Claim: "b", RequiredValue: "2"}}, algs: []string{"ES256"}},
		{name: "client id missing", flags: FlagOptions{IssuerURL: "https://i.example"}, errSubstr: "oidc-issuer-url and oidc-client-id must be specified together"},
		{name: "issuer missing", flags: FlagOptions{GroupsClaim: "groups"}, errSubstr: "oidc-issuer-url and oidc-client-id must be specified together"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.flags.Set() {
				t.Fatal("Set() = false for set flags")
			}
			cfg, algs, err := tc.flags.Configuration()
			if tc.errSubstr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errSubstr) {
					t.Fatalf("Configuration = %v, want %q", err, tc.errSubstr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			a := cfg.JWT[0]
			u := a.ClaimMappings.Username
			if u.Claim != tc.claim || u.Prefix == nil || *u.Prefix != tc.prefix {
				t.Errorf("username = %q prefix %v, want %q prefix %q", u.Claim, u.Prefix, tc.claim, tc.prefix)
			}
			if tc.groups != nil && (a.ClaimMappings.Groups.Claim != tc.groups.Claim || *a.ClaimMappings.Groups.Prefix != *tc.groups.Prefix) {
				t.Errorf("groups = %+v", a.ClaimMappings.Groups)
			}
			if len(a.ClaimValidationRules) != len(tc.rules) || (len(tc.rules) > 0 && a.ClaimValidationRules[0] != tc.rules[0]) {
				t.Errorf("rules = %+v, want %+v", a.ClaimValidationRules, tc.rules)
			}
			if strings.Join(algs, ",") != strings.Join(tc.algs, ",") || a.Issuer.Audiences[0] != tc.flags.ClientID {
				t.Errorf("algs = %v, audiences = %v", algs, a.Issuer.Audiences)
			}
			if _, errs := ValidateConfig(cfg, nil); len(errs) > 0 {
				t.Errorf("the flags' configuration is invalid: %v", errs.ToAggregate())
			}
		})
	}
	if (FlagOptions{}).Set() {
		t.Error("empty flags are Set")
	}
	if _, err := New(&AuthenticationConfiguration{}, Options{SigningAlgs: []string{"HS256"}}); err != nil {
		t.Errorf("no issuers: %v", err)
	}
	cfg, _, _ := FlagOptions{IssuerURL: "https://i.example", ClientID: "kapi"}.Configuration()
	if _, err := New(cfg, Options{SigningAlgs: []string{"HS256"}}); err == nil || !strings.Contains(err.Error(), `oidc: unsupported signing alg: "HS256"`) {
		t.Errorf("HS256 accepted: %v", err)
	}
}
