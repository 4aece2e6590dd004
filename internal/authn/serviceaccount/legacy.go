package serviceaccount

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/validation"

	"github.com/kapi-dev/kapi/internal/request"
)

// validateLegacy checks a verified secret-based token: its claims name a service
// account and a Secret; the Secret must still hold this very token and not be marked
// invalid, and the service account must still exist with the uid of the claim. The
// messages keep upstream's wording, capitals included: TokenReview shows them.
func (a *Authenticator) validateLegacy(ctx context.Context, token string, c *tokenClaims) (*request.User, error) {
	switch {
	case c.Subject == "":
		return nil, errors.New("sub claim is missing")
	case c.LegacyNamespace == "":
		return nil, errors.New("namespace claim is missing")
	case c.LegacySecretName == "":
		return nil, errors.New("secretName claim is missing")
	case c.LegacyServiceAccountName == "":
		return nil, errors.New("serviceAccountName claim is missing")
	case c.LegacyServiceAccountUID == "":
		return nil, errors.New("serviceAccountUID claim is missing")
	}
	ns, name, ok := splitUsername(c.Subject)
	if !ok || ns != c.LegacyNamespace || name != c.LegacyServiceAccountName {
		return nil, errors.New("sub claim is invalid")
	}

	if a.skipLookup {
		return serviceAccountUser(ns, name, c.LegacyServiceAccountUID), nil
	}
	secret, err := a.objects.Secret(ctx, ns, c.LegacySecretName)
	if err != nil {
		slog.Debug("legacy service-account token: secret not found", "namespace", ns, "secret", c.LegacySecretName, "err", err)
		return nil, errors.New("Token has been invalidated")
	}
	if secret.DeletionTimestamp != nil {
		return nil, errors.New("Token has been invalidated")
	}
	if subtle.ConstantTimeCompare(secret.Data[SecretTokenKey], []byte(token)) == 0 {
		return nil, errors.New("Token does not match server's copy")
	}
	sa, err := a.objects.ServiceAccount(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if sa.DeletionTimestamp != nil {
		return nil, fmt.Errorf("ServiceAccount %s/%s has been deleted", ns, name)
	}
	if string(sa.UID) != c.LegacyServiceAccountUID {
		return nil, fmt.Errorf("ServiceAccount UID (%s) does not match claim (%s)", sa.UID, c.LegacyServiceAccountUID)
	}
	defer a.markLegacyTokenUsed(ctx, secret)
	if secret.Labels[InvalidSinceLabel] != "" {
		return nil, fmt.Errorf("the token in secret %s/%s for service account %s/%s has been marked invalid. Use tokens from the TokenRequest API or manually created secret-based tokens, or remove the '%s' label from the secret to temporarily allow use of this token",
			ns, c.LegacySecretName, ns, name, InvalidSinceLabel)
	}
	return serviceAccountUser(ns, name, c.LegacyServiceAccountUID), nil
}

// markLegacyTokenUsed records today's use unless the label already says today (or
// tomorrow, for a clock a little behind another server's).
func (a *Authenticator) markLegacyTokenUsed(ctx context.Context, secret *corev1.Secret) {
	if a.legacy == nil {
		return
	}
	now := a.now().UTC()
	today, tomorrow := now.Format("2006-01-02"), now.AddDate(0, 0, 1).Format("2006-01-02")
	if last := secret.Labels[LastUsedLabel]; last == today || last == tomorrow {
		return
	}
	if err := a.legacy.MarkLegacyTokenUsed(ctx, secret, today); err != nil {
		slog.Warn("failed to label legacy service account token secret with its last-used date",
			"namespace", secret.Namespace, "secret", secret.Name, "err", err)
	}
}

// splitUsername parses system:serviceaccount:<namespace>:<name>, both parts valid names.
func splitUsername(user string) (namespace, name string, ok bool) {
	rest, found := strings.CutPrefix(user, UsernamePrefix)
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 2 {
		return "", "", false
	}
	if len(validation.ValidateNamespaceName(parts[0], false)) != 0 ||
		len(validation.ValidateServiceAccountName(parts[1], false)) != 0 {
		return "", "", false
	}
	return parts[0], parts[1], true
}
