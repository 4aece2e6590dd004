package bootstraptoken

import (
	"context"
	"crypto/subtle"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

// The names of the bootstrap token API (k8s.io/cluster-bootstrap's constants).
const (
	SecretPrefix         = "bootstrap-token-"
	SecretType           = corev1.SecretType("bootstrap.kubernetes.io/token")
	KeyTokenID           = "token-id"
	KeyTokenSecret       = "token-secret"
	KeyExpiration        = "expiration"
	KeyExtraGroups       = "auth-extra-groups"
	KeyUsageAuthenticate = "usage-bootstrap-authentication"
	UserPrefix           = "system:bootstrap:"
	DefaultGroup         = "system:bootstrappers"
)

var (
	tokenPattern = regexp.MustCompile(`\A([a-z0-9]{6})\.([a-z0-9]{16})\z`)
	groupPattern = regexp.MustCompile(`\Asystem:bootstrappers:[a-z0-9:-]{0,255}[a-z0-9]\z`)
)

// SecretGetter reads a Secret; it returns a NotFound API error when there is none.
// The caller does not modify the Secret.
type SecretGetter interface {
	Secret(ctx context.Context, namespace, name string) (*corev1.Secret, error)
}

// Authenticator implements authn.TokenAuthenticator for bootstrap tokens.
type Authenticator struct {
	secrets SecretGetter
	now     func() time.Time
}

// New returns an Authenticator reading the token Secrets through secrets.
func New(secrets SecretGetter) *Authenticator {
	return &Authenticator{secrets: secrets, now: time.Now}
}

// ParseToken splits a bootstrap token into its id and secret.
func ParseToken(token string) (id, secret string, ok bool) {
	m := tokenPattern.FindStringSubmatch(token)
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

// AuthenticateToken authenticates "<id>.<secret>" as system:bootstrap:<id>. As
// upstream, a token that does not match a usable Secret gets no opinion rather
// than an error; only a failure to read the Secret is an error.
func (a *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	id, secret, ok := ParseToken(token)
	if !ok {
		return nil, false, nil
	}
	name := SecretPrefix + id
	s, err := a.secrets.Secret(ctx, metav1.NamespaceSystem, name)
	if apierrors.IsNotFound(err) {
		slog.Debug("no bootstrap token secret", "name", name)
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	reject := func(why string) (*request.User, bool, error) {
		slog.Debug("bootstrap token secret does not authenticate the token", "name", name, "reason", why)
		return nil, false, nil
	}
	switch {
	case s.DeletionTimestamp != nil:
		return reject("being deleted")
	case s.Type != SecretType || s.Data == nil:
		return reject("wrong type")
	case subtle.ConstantTimeCompare(s.Data[KeyTokenSecret], []byte(secret)) != 1:
		return reject("token secret mismatch")
	case string(s.Data[KeyTokenID]) != id:
		return reject("token id mismatch")
	case expired(s, a.now()):
		return reject("expired")
	case string(s.Data[KeyUsageAuthenticate]) != "true":
		return reject("not usable for authentication")
	}
	groups, ok := groupsOf(s)
	if !ok {
		return reject("invalid auth-extra-groups")
	}
	return &request.User{Name: UserPrefix + id, Groups: groups}, true, nil
}

// expired reports whether the Secret's expiration (RFC 3339) has passed; one that
// does not parse counts as expired.
func expired(s *corev1.Secret, now time.Time) bool {
	v := string(s.Data[KeyExpiration])
	if v == "" {
		return false
	}
	t, err := time.Parse(time.RFC3339, v)
	return err != nil || !t.After(now)
}

// groupsOf returns system:bootstrappers and the valid extra groups, sorted and
// without duplicates; any invalid extra group makes the token unusable.
func groupsOf(s *corev1.Secret) ([]string, bool) {
	groups := []string{DefaultGroup}
	if extra := string(s.Data[KeyExtraGroups]); extra != "" {
		for _, g := range strings.Split(extra, ",") {
			if !groupPattern.MatchString(g) {
				return nil, false
			}
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	return slices.Compact(groups), true
}
