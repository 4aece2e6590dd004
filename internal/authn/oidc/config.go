package oidc

import (
	"errors"
	"fmt"
	"os"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// AuthenticationConfiguration is apiserver.config.k8s.io's AuthenticationConfiguration
// (v1, v1beta1 and v1alpha1 share this shape).
type AuthenticationConfiguration struct {
	metav1.TypeMeta `json:",inline"`
	JWT             []JWTAuthenticator `json:"jwt"`
	Anonymous       *AnonymousConfig   `json:"anonymous,omitempty"`
}

// AnonymousConfig configures anonymous access; kapi reads it but only honours
// --anonymous-auth (see the package documentation of the server).
type AnonymousConfig struct {
	Enabled    bool                 `json:"enabled"`
	Conditions []AnonymousCondition `json:"conditions,omitempty"`
}

// AnonymousCondition limits anonymous access to a path.
type AnonymousCondition struct {
	Path string `json:"path"`
}

// JWTAuthenticator configures one issuer.
type JWTAuthenticator struct {
	Issuer               Issuer                `json:"issuer"`
	ClaimValidationRules []ClaimValidationRule `json:"claimValidationRules,omitempty"`
	ClaimMappings        ClaimMappings         `json:"claimMappings"`
	UserValidationRules  []UserValidationRule  `json:"userValidationRules,omitempty"`
}

// Issuer says who signs the tokens and for whom.
type Issuer struct {
	// URL must equal the tokens' "iss"; discovery is at URL/.well-known/openid-configuration
	// unless DiscoveryURL is set.
	URL                  string   `json:"url"`
	DiscoveryURL         *string  `json:"discoveryURL,omitempty"`
	CertificateAuthority string   `json:"certificateAuthority,omitempty"`
	Audiences            []string `json:"audiences"`
	AudienceMatchPolicy  string   `json:"audienceMatchPolicy,omitempty"`
	EgressSelectorType   string   `json:"egressSelectorType,omitempty"`
}

// AudienceMatchAny is the only audience match policy: one of the token's audiences
// must be configured.
const AudienceMatchAny = "MatchAny"

// ClaimValidationRule requires a claim value, or a CEL expression over claims to be
// true.
type ClaimValidationRule struct {
	Claim         string `json:"claim,omitempty"`
	RequiredValue string `json:"requiredValue,omitempty"`
	Expression    string `json:"expression,omitempty"`
	Message       string `json:"message,omitempty"`
}

// ClaimMappings says how claims become the user.
type ClaimMappings struct {
	Username PrefixedClaimOrExpression `json:"username"`
	Groups   PrefixedClaimOrExpression `json:"groups,omitempty"`
	UID      ClaimOrExpression         `json:"uid"`
	Extra    []ExtraMapping            `json:"extra,omitempty"`
}

// PrefixedClaimOrExpression maps a claim (with a prefix) or a CEL expression.
type PrefixedClaimOrExpression struct {
	Claim      string  `json:"claim,omitempty"`
	Prefix     *string `json:"prefix,omitempty"`
	Expression string  `json:"expression,omitempty"`
}

// ClaimOrExpression maps a claim or a CEL expression.
type ClaimOrExpression struct {
	Claim      string `json:"claim,omitempty"`
	Expression string `json:"expression,omitempty"`
}

// ExtraMapping sets one user extra key from a CEL expression.
type ExtraMapping struct {
	Key             string `json:"key"`
	ValueExpression string `json:"valueExpression"`
}

// UserValidationRule is a CEL expression over the mapped user that must be true.
type UserValidationRule struct {
	Expression string `json:"expression"`
	Message    string `json:"message,omitempty"`
}

var supportedVersions = map[string]bool{
	"apiserver.config.k8s.io/v1": true, "apiserver.config.k8s.io/v1beta1": true, "apiserver.config.k8s.io/v1alpha1": true,
}

// LoadConfig reads and decodes an AuthenticationConfiguration file. It does not
// validate: Build does.
func LoadConfig(path string) (*AuthenticationConfiguration, []byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	c, err := ParseConfig(data)
	return c, data, err
}

// ParseConfig decodes an AuthenticationConfiguration (YAML or JSON), refusing
// unknown fields as upstream's strict decoder does.
func ParseConfig(data []byte) (*AuthenticationConfiguration, error) {
	if len(data) == 0 {
		return nil, errors.New("empty config data")
	}
	var c AuthenticationConfiguration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("decoding the authentication configuration: %w", err)
	}
	if c.Kind != "AuthenticationConfiguration" || !supportedVersions[c.APIVersion] {
		return nil, fmt.Errorf("unsupported authentication configuration %q, %q: want apiserver.config.k8s.io/v1 AuthenticationConfiguration", c.APIVersion, c.Kind)
	}
	return &c, nil
}
