package serviceaccount

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	corev1 "k8s.io/api/core/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

// ObjectGetter reads the objects a token names, to check they still exist as they
// were when the token was issued. Each method returns an error (a NotFound API error
// when the object does not exist) or the object, which the caller does not modify.
type ObjectGetter interface {
	ServiceAccount(ctx context.Context, namespace, name string) (*corev1.ServiceAccount, error)
	Pod(ctx context.Context, namespace, name string) (*corev1.Pod, error)
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
	Node(ctx context.Context, name string) (*corev1.Node, error)
}

// LegacyTokenTracker records that the legacy token of a Secret authenticated, by
// setting the Secret's LastUsedLabel to day (YYYY-MM-DD) unless its uid changed. It
// is called at most once per Secret and day; a failure is only logged.
type LegacyTokenTracker interface {
	MarkLegacyTokenUsed(ctx context.Context, secret *corev1.Secret, day string) error
}

// Config configures an Authenticator.
type Config struct {
	// Issuers are the accepted "iss" of bound tokens (--service-account-issuer).
	Issuers []string
	// Keys verify token signatures (--service-account-key-file and the signing key).
	Keys []PublicKey
	// APIAudiences are the audiences a token must be meant for when the request does
	// not name others (--api-audiences).
	APIAudiences []string
	// Objects reads the service accounts and bound objects; required.
	Objects ObjectGetter
	// LegacyTokens, when set, records the use of legacy tokens.
	LegacyTokens LegacyTokenTracker
	// SkipLegacyLookup takes legacy secret-based tokens on their signature and
	// claims alone, as upstream's --service-account-lookup=false: their secret and
	// service account are not read, so a deleted one's token still works.
	SkipLegacyLookup bool
}

// Authenticator authenticates the service-account tokens of Authorization: Bearer
// headers: bound tokens of the configured issuers and legacy secret-based tokens.
type Authenticator struct {
	issuers   map[string]bool
	keys      []PublicKey
	keysByID  map[string][]PublicKey
	audiences []string
	objects   ObjectGetter
	legacy    LegacyTokenTracker
	// skipLookup is Config.SkipLegacyLookup.
	skipLookup bool
	// now is replaced by tests.
	now func() time.Time
}

var _ authn.Authenticator = (*Authenticator)(nil)

// acceptedAlgorithms are the JWS algorithms a token may be signed with: upstream
// verifies whatever algorithm the key supports, and "none" never.
var acceptedAlgorithms = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512,
}

// NewAuthenticator checks cfg and returns its Authenticator.
func NewAuthenticator(cfg Config) (*Authenticator, error) {
	if cfg.Objects == nil {
		return nil, errors.New("service-account authenticator: an object getter is required")
	}
	if len(cfg.Keys) == 0 {
		return nil, errors.New("service-account authenticator: no verification keys")
	}
	a := &Authenticator{
		issuers:    map[string]bool{},
		keys:       slices.Clone(cfg.Keys),
		keysByID:   map[string][]PublicKey{},
		audiences:  slices.Clone(cfg.APIAudiences),
		objects:    cfg.Objects,
		legacy:     cfg.LegacyTokens,
		skipLookup: cfg.SkipLegacyLookup,
		now:        time.Now,
	}
	for _, iss := range cfg.Issuers {
		a.issuers[iss] = true
	}
	for _, k := range a.keys {
		a.keysByID[k.KeyID] = append(a.keysByID[k.KeyID], k)
	}
	return a, nil
}

// AuthenticateRequest implements authn.Authenticator.
func (a *Authenticator) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	token, ok := authn.BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	return a.AuthenticateToken(r.Context(), token)
}

// AuthenticateToken authenticates one token. A token that is not a JWT of a known
// issuer gets no opinion; one that claims a known issuer but fails verification or
// validation is an error. The audiences checked are those of authn.AudiencesFrom(ctx),
// or the API audiences.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	iss, ok := unverifiedIssuer(token)
	if !ok || !(a.issuers[iss] || iss == LegacyIssuer) {
		return nil, false, nil
	}
	jws, err := jose.ParseSignedCompact(token, acceptedAlgorithms)
	if err != nil || len(jws.Signatures) != 1 {
		// Upstream leaves a token it cannot parse to the other authenticators.
		return nil, false, nil
	}
	claims, err := a.verify(jws)
	if err != nil {
		return nil, false, err
	}
	if !(a.issuers[claims.Issuer] || claims.Issuer == LegacyIssuer) {
		return nil, false, fmt.Errorf("token issuer %q is invalid", claims.Issuer)
	}
	if err := a.checkAudiences(ctx, claims.Audience); err != nil {
		return nil, false, err
	}
	var u *request.User
	if claims.Issuer == LegacyIssuer {
		u, err = a.validateLegacy(ctx, token, claims)
		// An issuer list may name the legacy issuer: the token may then be a bound one.
		if err != nil && a.issuers[LegacyIssuer] {
			if bu, berr := a.validateBound(ctx, claims); berr == nil {
				u, err = bu, nil
			}
		}
	} else {
		u, err = a.validateBound(ctx, claims)
	}
	if err != nil {
		return nil, false, err
	}
	return u, true, nil
}

// unverifiedIssuer reads "iss" from a compact JWS without verifying anything, to pick
// the tokens worth verifying.
func unverifiedIssuer(token string) (string, bool) {
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
	return c.Issuer, true
}

// verify checks the signature with the keys of the token's key id (all keys when it
// names none) and decodes the claims.
func (a *Authenticator) verify(jws *jose.JSONWebSignature) (*tokenClaims, error) {
	keys := a.keys
	if kid := jws.Signatures[0].Header.KeyID; kid != "" {
		keys = a.keysByID[kid]
	}
	if len(keys) == 0 {
		return nil, errors.New("invalid signature, no keys found")
	}
	var errs []error
	for _, k := range keys {
		payload, err := jws.Verify(k.Key)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		claims := &tokenClaims{}
		if err := json.Unmarshal(payload, claims); err != nil {
			errs = append(errs, err)
			continue
		}
		return claims, nil
	}
	return nil, utilerrors.NewAggregate(errs)
}

// checkAudiences requires the token to be meant for one of the audiences asked for.
// A token without audiences (a legacy token) is meant for the API audiences.
func (a *Authenticator) checkAudiences(ctx context.Context, tokenAuds audience) error {
	if len(tokenAuds) == 0 {
		tokenAuds = a.audiences
	}
	wanted := authn.AudiencesFrom(ctx)
	if wanted == nil {
		wanted = a.audiences
	}
	for _, t := range tokenAuds {
		if slices.Contains(wanted, t) {
			return nil
		}
	}
	if len(a.audiences) == 0 {
		return nil
	}
	return fmt.Errorf("token audiences %q is invalid for the target audiences %q", []string(tokenAuds), wanted)
}

// serviceAccountUser is the user of a service account, before the authenticator
// union adds system:authenticated.
func serviceAccountUser(namespace, name, uid string) *request.User {
	return &request.User{
		Name:   Username(namespace, name),
		UID:    uid,
		Groups: []string{AllServiceAccountsGroup, GroupPrefix + namespace},
	}
}
