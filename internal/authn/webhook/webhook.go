// Package webhook is the webhook token authenticator
// (--authentication-token-webhook-config-file): it asks a remote service whether a
// bearer token is valid by POSTing a TokenReview, as kube-apiserver does.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
	"github.com/kapi-dev/kapi/internal/webhookclient"
)

// Config configures the webhook token authenticator.
type Config struct {
	// KubeconfigFile names the webhook's server and credentials, in kubeconfig form;
	// the TokenReview is posted to the cluster's server URL as is.
	KubeconfigFile string
	// Version is the TokenReview version sent: "v1" or "v1beta1" (the default).
	Version string
	// APIAudiences are the audiences assumed when the webhook's answer names none.
	APIAudiences []string
	// Timeout bounds one call (default 30s, as upstream's webhook client).
	Timeout time.Duration
	// RetryBackoff is the first delay between retries (default 500ms; 5 tries,
	// growing 1.5 times, as upstream's default webhook backoff).
	RetryBackoff time.Duration
}

// Authenticator implements authn.TokenAuthenticator with a webhook. It does not
// cache: wrap it in authn.NewTokenCache.
type Authenticator struct {
	cfg    Config
	client *webhookclient.Client
}

// New reads the kubeconfig and prepares the client.
func New(cfg Config) (*Authenticator, error) {
	switch cfg.Version {
	case "":
		cfg.Version = "v1beta1"
	case "v1", "v1beta1":
	default:
		return nil, fmt.Errorf("unsupported authentication webhook version %q, supported versions are \"v1\", \"v1beta1\"", cfg.Version)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	client, err := webhookclient.New(cfg.KubeconfigFile, cfg.Timeout, cfg.RetryBackoff, "authentication webhook")
	if err != nil {
		return nil, err
	}
	return &Authenticator{cfg: cfg, client: client}, nil
}

// AuthenticateToken implements authn.TokenAuthenticator. A webhook that cannot be
// reached or answers with an error fails the token. When the caller asks for
// audiences, the webhook's audiences (or the API audiences, when it names none)
// must include one of them.
func (w *Authenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	wanted := authn.AudiencesFrom(ctx)
	body, err := encodeReview(w.cfg.Version, authenticationv1.TokenReviewSpec{Token: token, Audiences: wanted})
	if err != nil {
		return nil, false, err
	}
	var status authenticationv1.TokenReviewStatus
	// v1 and v1beta1 TokenReview statuses have the same JSON.
	if err := w.client.Review(ctx, body, &status, token); err != nil {
		slog.Error("failed to make webhook authenticator request", "err", err)
		return nil, false, err
	}
	if len(wanted) > 0 {
		got := w.cfg.APIAudiences
		if len(status.Audiences) > 0 {
			got = status.Audiences
		}
		if !slices.ContainsFunc(wanted, func(a string) bool { return slices.Contains(got, a) }) {
			return nil, false, nil
		}
	}
	if !status.Authenticated {
		if status.Error != "" {
			return nil, false, errors.New(status.Error)
		}
		return nil, false, nil
	}
	u := &request.User{Name: status.User.Username, UID: status.User.UID, Groups: status.User.Groups}
	if status.User.Extra != nil {
		u.Extra = make(map[string][]string, len(status.User.Extra))
		for k, v := range status.User.Extra {
			u.Extra[k] = v
		}
	}
	return u, true, nil
}

// encodeReview renders the TokenReview in the configured version.
func encodeReview(version string, spec authenticationv1.TokenReviewSpec) ([]byte, error) {
	return json.Marshal(map[string]any{
		"apiVersion": "authentication.k8s.io/" + version,
		"kind":       "TokenReview",
		"metadata":   map[string]any{"creationTimestamp": nil},
		"spec":       spec,
		"status":     map[string]any{"user": map[string]any{}},
	})
}
