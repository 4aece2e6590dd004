// Package webhook is the webhook token authenticator
// (--authentication-token-webhook-config-file): it asks a remote service whether a
// bearer token is valid by POSTing a TokenReview, as kube-apiserver does.
package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
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
	url    string
	client *http.Client
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
	if cfg.RetryBackoff == 0 {
		cfg.RetryBackoff = 500 * time.Millisecond
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: cfg.KubeconfigFile}
	restCfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("authentication webhook kubeconfig %s: %w", cfg.KubeconfigFile, err)
	}
	restCfg.Timeout = cfg.Timeout
	client, err := rest.HTTPClientFor(restCfg)
	if err != nil {
		return nil, err
	}
	return &Authenticator{cfg: cfg, url: restCfg.Host, client: client}, nil
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
	status, err := w.review(ctx, body, token)
	if err != nil {
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

// review posts the TokenReview, retrying connection failures, 5xx and 429 answers
// with backoff as upstream does.
func (w *Authenticator) review(ctx context.Context, body []byte, token string) (authenticationv1.TokenReviewStatus, error) {
	delay := w.cfg.RetryBackoff
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return authenticationv1.TokenReviewStatus{}, errors.Join(lastErr, ctx.Err())
			case <-t.C:
			}
			delay = delay * 3 / 2
		}
		st, retry, err := w.post(ctx, body, token)
		if err == nil {
			return st, nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return authenticationv1.TokenReviewStatus{}, lastErr
}

// post sends one review; an error quotes the webhook's answer unless it holds the
// token, which must not reach the logs.
func (w *Authenticator) post(ctx context.Context, body []byte, token string) (st authenticationv1.TokenReviewStatus, retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return st, false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return st, ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return st, true, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		answer := bytes.TrimSpace(data)
		if token == "" || bytes.Contains(answer, []byte(token)) {
			answer = []byte("<answer withheld>")
		}
		return st, resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("authentication webhook returned %d: %s", resp.StatusCode, answer)
	}
	// v1 and v1beta1 TokenReview statuses have the same JSON.
	var out struct {
		Status authenticationv1.TokenReviewStatus `json:"status"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return st, false, fmt.Errorf("decoding the webhook's TokenReview: %w", err)
	}
	return out.Status, false, nil
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
