package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// Issuer signs service-account tokens with one private key.
type Issuer struct {
	issuer string
	signer jose.Signer
	// now and newID are replaced by tests.
	now   func() time.Time
	newID func() string
}

// NewIssuer returns an Issuer asserting issuer ("iss") that signs with key: RS256 for
// an RSA key, ES256/ES384/ES512 for an ECDSA key on P-256/P-384/P-521, the key id
// derived from the public key, as upstream.
func NewIssuer(issuer string, key crypto.Signer) (*Issuer, error) {
	alg, err := signingAlgorithm(key.Public())
	if err != nil {
		return nil, err
	}
	kid, err := KeyID(key.Public())
	if err != nil {
		return nil, err
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: alg,
		Key:       jose.JSONWebKey{Key: key, KeyID: kid, Algorithm: string(alg), Use: "sig"},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("creating token signer: %w", err)
	}
	return &Issuer{issuer: issuer, signer: signer, now: time.Now, newID: func() string { return string(uuid.NewUUID()) }}, nil
}

// signingAlgorithm is the one algorithm upstream signs with for a key type.
func signingAlgorithm(pub crypto.PublicKey) (jose.SignatureAlgorithm, error) {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		return jose.RS256, nil
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256():
			return jose.ES256, nil
		case elliptic.P384():
			return jose.ES384, nil
		case elliptic.P521():
			return jose.ES512, nil
		}
		return "", errors.New("unknown private key curve, must be 256, 384, or 521")
	}
	return "", fmt.Errorf("unknown private key type %T, must be *rsa.PrivateKey or *ecdsa.PrivateKey", pub)
}

// Issuer returns the "iss" the tokens carry.
func (i *Issuer) Issuer() string { return i.issuer }

// Token describes a bound token to issue.
type Token struct {
	// Namespace, Name and UID are the service account's.
	Namespace, Name, UID string
	// At most one of Pod, Secret and Node binds the token; a pod-bound token may also
	// carry the pod's Node (name, and uid when the node exists).
	Pod, Secret, Node *Ref
	Audiences         []string
	// IssuedAt is when the token starts to be valid; zero means now.
	IssuedAt          time.Time
	ExpirationSeconds int64
	// WarnAfterSeconds, when set, is how long after IssuedAt the token is stale and
	// only warns (an extended token).
	WarnAfterSeconds int64
}

// Issue signs t and returns the token and its id (the "jti" claim).
func (i *Issuer) Issue(t Token) (token, id string, err error) {
	if t.Secret != nil && (t.Pod != nil || t.Node != nil) {
		return "", "", errors.New("internal error, token can only be bound to one object type")
	}
	now := t.IssuedAt
	if now.IsZero() {
		now = i.now()
	}
	id = i.newID()
	p := boundPayload{
		Audience:  audience(t.Audiences),
		Expiry:    jwt.NewNumericDate(now.Add(time.Duration(t.ExpirationSeconds) * time.Second)),
		IssuedAt:  jwt.NewNumericDate(now),
		Issuer:    i.issuer,
		ID:        id,
		NotBefore: jwt.NewNumericDate(now),
		Subject:   Username(t.Namespace, t.Name),
		Kubernetes: kubernetesClaim{
			Namespace:      t.Namespace,
			ServiceAccount: Ref{Name: t.Name, UID: t.UID},
			Pod:            t.Pod,
			Secret:         t.Secret,
			Node:           t.Node,
		},
	}
	if t.WarnAfterSeconds != 0 {
		p.Kubernetes.WarnAfter = jwt.NewNumericDate(now.Add(time.Duration(t.WarnAfterSeconds) * time.Second))
	}
	token, err = i.sign(p)
	return token, id, err
}

// IssueLegacy signs a secret-based token for the service account namespace/name
// (uid) stored in the Secret secretName, as kube-controller-manager's token controller
// does: issuer "kubernetes/serviceaccount", no audience, no expiry.
func (i *Issuer) IssueLegacy(namespace, name, uid, secretName string) (string, error) {
	return i.sign(legacyPayload{
		Issuer:             LegacyIssuer,
		Namespace:          namespace,
		SecretName:         secretName,
		ServiceAccountName: name,
		ServiceAccountUID:  uid,
		Subject:            Username(namespace, name),
	})
}

func (i *Issuer) sign(payload any) (string, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return "", err
	}
	jws, err := i.signer.Sign(body)
	if err != nil {
		return "", fmt.Errorf("signing token: %w", err)
	}
	return jws.CompactSerialize()
}
