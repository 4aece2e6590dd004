package serviceaccount

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/go-jose/go-jose/v4/jwt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

var errInvalidated = errors.New("service account token has been invalidated")

// validateBound checks a verified bound token: its time claims, then that the service
// account and the bound object still exist with the uids the token names. Objects
// deleted within the clock leeway still count as existing, as upstream.
func (a *Authenticator) validateBound(ctx context.Context, c *tokenClaims) (*request.User, error) {
	now := a.now()
	times := jwt.Claims{Expiry: c.Expiry, NotBefore: c.NotBefore, IssuedAt: c.IssuedAt}
	switch err := times.Validate(jwt.Expected{Time: now}); {
	case err == nil:
	case errors.Is(err, jwt.ErrExpired):
		return nil, errors.New("service account token has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return nil, errors.New("service account token is not valid yet")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return nil, errors.New("service account token is issued in the future")
	default:
		return nil, errors.New("service account token claims could not be validated due to unexpected validation error")
	}
	deletedBefore := now.Add(-jwt.DefaultLeeway)
	gone := func(m metav1.ObjectMeta) bool {
		return m.DeletionTimestamp != nil && m.DeletionTimestamp.Time.Before(deletedBefore)
	}
	k := c.Kubernetes
	ns, saRef := k.Namespace, k.ServiceAccount
	if ns == "" || saRef.Name == "" {
		return nil, errors.New("service account token is missing its service account claims")
	}
	sa, err := a.objects.ServiceAccount(ctx, ns, saRef.Name)
	if err != nil {
		return nil, err
	}
	if string(sa.UID) != saRef.UID {
		return nil, fmt.Errorf("service account UID (%s) does not match claim (%s)", sa.UID, saRef.UID)
	}
	if gone(sa.ObjectMeta) {
		return nil, fmt.Errorf("service account %s/%s has been deleted", ns, saRef.Name)
	}
	if ref := k.Secret; ref != nil {
		secret, err := a.objects.Secret(ctx, ns, ref.Name)
		if err != nil {
			slog.Debug("service-account token: bound secret not found", "namespace", ns, "secret", ref.Name, "err", err)
			return nil, errInvalidated
		}
		if string(secret.UID) != ref.UID {
			return nil, fmt.Errorf("secret UID (%s) does not match service account secret ref claim (%s)", secret.UID, ref.UID)
		}
		if gone(secret.ObjectMeta) {
			return nil, errInvalidated
		}
	}
	u := serviceAccountUser(ns, saRef.Name, saRef.UID)
	extra := map[string][]string{}
	if ref := k.Pod; ref != nil {
		pod, err := a.objects.Pod(ctx, ns, ref.Name)
		if err != nil {
			slog.Debug("service-account token: bound pod not found", "namespace", ns, "pod", ref.Name, "err", err)
			return nil, errInvalidated
		}
		if string(pod.UID) != ref.UID {
			return nil, fmt.Errorf("pod UID (%s) does not match service account pod ref claim (%s)", pod.UID, ref.UID)
		}
		if gone(pod.ObjectMeta) {
			return nil, errInvalidated
		}
		if ref.Name != "" && ref.UID != "" {
			extra[PodNameKey] = []string{ref.Name}
			extra[PodUIDKey] = []string{ref.UID}
		}
	}
	if ref := k.Node; ref != nil {
		if k.Pod == nil {
			// Bound to the node itself: it must still exist. A pod's node is information only.
			node, err := a.objects.Node(ctx, ref.Name)
			if err != nil {
				slog.Debug("service-account token: bound node not found", "node", ref.Name, "err", err)
				return nil, errInvalidated
			}
			if string(node.UID) != ref.UID {
				return nil, fmt.Errorf("node UID (%s) does not match service account node ref claim (%s)", node.UID, ref.UID)
			}
			if gone(node.ObjectMeta) {
				return nil, errInvalidated
			}
		}
		if ref.Name != "" {
			extra[NodeNameKey] = []string{ref.Name}
			if ref.UID != "" {
				extra[NodeUIDKey] = []string{ref.UID}
			}
		}
	}
	if k.ValidatingWebhookConfiguration != nil || k.MutatingWebhookConfiguration != nil {
		return nil, errors.New(`feature gate "APIServerWebhookAuthenticationToken" is disabled, but token is webhook bound`)
	}
	if c.ID != "" {
		extra[authn.CredentialIDKey] = []string{"JTI=" + c.ID}
	}
	if len(extra) > 0 {
		u.Extra = extra
	}
	if w := k.WarnAfter; w != nil && *w != 0 && now.After(w.Time()) {
		slog.Debug("service-account token: stale token used", "subject", c.Subject, "secondsAfterWarning", now.Unix()-w.Time().Unix())
	}
	return u, nil
}
