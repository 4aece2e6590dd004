package serviceaccount

import (
	"encoding/json"
	"errors"

	"github.com/go-jose/go-jose/v4/jwt"
)

// Names upstream gives to service-account identities and token behaviour.
const (
	// LegacyIssuer is the "iss" of secret-based tokens written by the token controller.
	LegacyIssuer = "kubernetes/serviceaccount"
	// UsernamePrefix starts every service account's user name:
	// system:serviceaccount:<namespace>:<name>.
	UsernamePrefix = "system:serviceaccount:"
	// AllServiceAccountsGroup holds every service account; GroupPrefix+<namespace>
	// those of one namespace.
	AllServiceAccountsGroup = "system:serviceaccounts"
	GroupPrefix             = "system:serviceaccounts:"

	// User extras of a bound token.
	PodNameKey  = "authentication.kubernetes.io/pod-name"
	PodUIDKey   = "authentication.kubernetes.io/pod-uid"
	NodeNameKey = "authentication.kubernetes.io/node-name"
	NodeUIDKey  = "authentication.kubernetes.io/node-uid"

	// WarnOnlyBoundTokenExpirationSeconds is the expiration the kubelet asks for when
	// it projects a token: such tokens are extended (see ExpirationExtensionSeconds)
	// and only warn once past it.
	WarnOnlyBoundTokenExpirationSeconds = 60*60 + 7
	// ExpirationExtensionSeconds is how long an extended token really lives.
	ExpirationExtensionSeconds = 24 * 365 * 60 * 60

	// InvalidSinceLabel on a token Secret makes its legacy token fail.
	InvalidSinceLabel = "kubernetes.io/legacy-token-invalid-since"
	// LastUsedLabel on a token Secret records the day its legacy token last
	// authenticated (YYYY-MM-DD, UTC).
	LastUsedLabel = "kubernetes.io/legacy-token-last-used"
	// SecretTokenKey is the Secret data key holding a legacy token.
	SecretTokenKey = "token"
)

// Username is the user name of a service account.
func Username(namespace, name string) string {
	return UsernamePrefix + namespace + ":" + name
}

// Ref names a bound object (or the service account) and its uid.
type Ref struct {
	Name string `json:"name,omitempty"`
	UID  string `json:"uid,omitempty"`
}

// kubernetesClaim is the private "kubernetes.io" claim of a bound token. Fields are in
// JSON key order, as upstream's encoder sorts them.
type kubernetesClaim struct {
	Namespace                      string           `json:"namespace,omitempty"`
	Node                           *Ref             `json:"node,omitempty"`
	Pod                            *Ref             `json:"pod,omitempty"`
	Secret                         *Ref             `json:"secret,omitempty"`
	ServiceAccount                 Ref              `json:"serviceaccount"`
	WarnAfter                      *jwt.NumericDate `json:"warnafter,omitempty"`
	ValidatingWebhookConfiguration *Ref             `json:"validatingwebhookconfiguration,omitempty"`
	MutatingWebhookConfiguration   *Ref             `json:"mutatingwebhookconfiguration,omitempty"`
}

// boundPayload is the payload of a token this server issues, keys in sorted order so
// that the bytes match upstream's.
type boundPayload struct {
	Audience   audience         `json:"aud,omitempty"`
	Expiry     *jwt.NumericDate `json:"exp,omitempty"`
	IssuedAt   *jwt.NumericDate `json:"iat,omitempty"`
	Issuer     string           `json:"iss,omitempty"`
	ID         string           `json:"jti,omitempty"`
	Kubernetes kubernetesClaim  `json:"kubernetes.io"`
	NotBefore  *jwt.NumericDate `json:"nbf,omitempty"`
	Subject    string           `json:"sub,omitempty"`
}

// legacyPayload is the payload of a secret-based token.
type legacyPayload struct {
	Issuer             string `json:"iss,omitempty"`
	Namespace          string `json:"kubernetes.io/serviceaccount/namespace"`
	SecretName         string `json:"kubernetes.io/serviceaccount/secret.name"`
	ServiceAccountName string `json:"kubernetes.io/serviceaccount/service-account.name"`
	ServiceAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid"`
	Subject            string `json:"sub,omitempty"`
}

// tokenClaims is what a verified token may say, bound or legacy; it is decoded from
// the payload after the signature was checked.
type tokenClaims struct {
	Audience   audience         `json:"aud"`
	Expiry     *jwt.NumericDate `json:"exp"`
	IssuedAt   *jwt.NumericDate `json:"iat"`
	Issuer     string           `json:"iss"`
	ID         string           `json:"jti"`
	Kubernetes kubernetesClaim  `json:"kubernetes.io"`
	NotBefore  *jwt.NumericDate `json:"nbf"`
	Subject    string           `json:"sub"`

	LegacyNamespace          string `json:"kubernetes.io/serviceaccount/namespace"`
	LegacySecretName         string `json:"kubernetes.io/serviceaccount/secret.name"`
	LegacyServiceAccountName string `json:"kubernetes.io/serviceaccount/service-account.name"`
	LegacyServiceAccountUID  string `json:"kubernetes.io/serviceaccount/service-account.uid"`
}

// audience is the "aud" claim: one string or a list on input, always a list on
// output as upstream writes it.
type audience []string

var errBadAudience = errors.New("expected string or array value to unmarshal to Audience")

// UnmarshalJSON accepts a string or an array of strings; anything else (null
// included) is an error, as upstream.
func (a *audience) UnmarshalJSON(b []byte) error {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case string:
		*a = audience{v}
	case []any:
		out := make(audience, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return errBadAudience
			}
			out[i] = s
		}
		*a = out
	default:
		return errBadAudience
	}
	return nil
}
