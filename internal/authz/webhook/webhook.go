// Package webhook is the Webhook authorizer: it asks a remote service with a
// SubjectAccessReview, as kube-apiserver's --authorization-mode=Webhook does, and
// caches the answers.
package webhook

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/webhookclient"
)

// Config configures one webhook authorizer.
type Config struct {
	// KubeconfigFile names the webhook's server and credentials, in kubeconfig form.
	KubeconfigFile string
	// Version is the SubjectAccessReview version sent: "v1" or "v1beta1".
	Version string
	// AuthorizedTTL and UnauthorizedTTL are how long answers are cached (0: not cached).
	AuthorizedTTL, UnauthorizedTTL time.Duration
	// Timeout bounds one call (default 30s).
	Timeout time.Duration
	// DenyOnError makes a failing webhook deny instead of having no opinion.
	DenyOnError bool
	// MatchConditions are CEL expressions over `request` (the SubjectAccessReview
	// spec); the webhook is asked only when all are true.
	MatchConditions []string
}

// Authorizer implements authz.Authorizer with a webhook.
type Authorizer struct {
	cfg    Config
	client *webhookclient.Client

	match *matcher

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	status  authorizationv1.SubjectAccessReviewStatus
	expires time.Time
}

// New reads the kubeconfig and prepares the client.
func New(cfg Config) (*Authorizer, error) {
	switch cfg.Version {
	case "":
		cfg.Version = "v1beta1"
	case "v1", "v1beta1":
	default:
		return nil, fmt.Errorf("unsupported webhook authorizer version %q, supported versions are \"v1\", \"v1beta1\"", cfg.Version)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	client, err := webhookclient.New(cfg.KubeconfigFile, cfg.Timeout, 0, "authorization webhook")
	if err != nil {
		return nil, err
	}
	match, err := compileMatchConditions(cfg.MatchConditions)
	if err != nil {
		return nil, err
	}
	return &Authorizer{cfg: cfg, client: client, match: match, cache: map[string]cached{}}, nil
}

// Authorize implements authz.Authorizer.
func (w *Authorizer) Authorize(ctx context.Context, a authz.Attributes) (authz.Decision, string, error) {
	spec := specFor(a)
	ok, err := w.match.matches(spec)
	if err != nil {
		return w.onError(), "", err
	}
	if !ok {
		return authz.NoOpinion, "", nil
	}
	key, err := json.Marshal(spec)
	if err != nil {
		return w.onError(), "", err
	}
	status, ok := w.lookup(string(key))
	if !ok {
		status, err = w.review(ctx, spec)
		if err != nil {
			return w.onError(), "", err
		}
		w.store(string(key), status)
	}
	switch {
	case status.Allowed && status.Denied:
		return authz.Deny, status.Reason, errors.New("webhook subject access review returned both allow and deny response")
	case status.Denied:
		return authz.Deny, status.Reason, nil
	case status.Allowed:
		return authz.Allow, status.Reason, nil
	}
	return authz.NoOpinion, status.Reason, nil
}

func (w *Authorizer) onError() authz.Decision {
	if w.cfg.DenyOnError {
		return authz.Deny
	}
	return authz.NoOpinion
}

func specFor(a authz.Attributes) authorizationv1.SubjectAccessReviewSpec {
	var spec authorizationv1.SubjectAccessReviewSpec
	if u := a.User; u != nil {
		spec.User, spec.UID, spec.Groups = u.Name, u.UID, u.Groups
		if len(u.Extra) > 0 {
			spec.Extra = map[string]authorizationv1.ExtraValue{}
			for k, v := range u.Extra {
				spec.Extra[k] = v
			}
		}
	}
	info := a.Info
	if info == nil {
		return spec
	}
	if info.IsResourceRequest {
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: info.Namespace, Verb: info.Verb,
			Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource, Subresource: info.Subresource, Name: info.Name}
	} else {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: info.Path, Verb: info.Verb}
	}
	return spec
}

func (w *Authorizer) lookup(key string) (authorizationv1.SubjectAccessReviewStatus, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	c, ok := w.cache[key]
	if !ok || time.Now().After(c.expires) {
		delete(w.cache, key)
		return authorizationv1.SubjectAccessReviewStatus{}, false
	}
	return c.status, true
}

// maxCacheEntries bounds the cache; when full, expired entries go, then everything.
const maxCacheEntries = 10000

func (w *Authorizer) store(key string, st authorizationv1.SubjectAccessReviewStatus) {
	ttl := w.cfg.UnauthorizedTTL
	if st.Allowed {
		ttl = w.cfg.AuthorizedTTL
	}
	if ttl <= 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.cache) >= maxCacheEntries {
		now := time.Now()
		for k, c := range w.cache {
			if now.After(c.expires) {
				delete(w.cache, k)
			}
		}
		if len(w.cache) >= maxCacheEntries {
			clear(w.cache)
		}
	}
	w.cache[key] = cached{status: st, expires: time.Now().Add(ttl)}
}

// review posts the SubjectAccessReview.
func (w *Authorizer) review(ctx context.Context, spec authorizationv1.SubjectAccessReviewSpec) (authorizationv1.SubjectAccessReviewStatus, error) {
	var st authorizationv1.SubjectAccessReviewStatus
	body, err := encodeReview(w.cfg.Version, spec)
	if err != nil {
		return st, err
	}
	err = w.client.Review(ctx, body, &st, "")
	return st, err
}

// encodeReview renders the request in the configured version; v1beta1 names the
// groups field "group".
func encodeReview(version string, spec authorizationv1.SubjectAccessReviewSpec) ([]byte, error) {
	review := map[string]any{"apiVersion": "authorization.k8s.io/" + version, "kind": "SubjectAccessReview", "metadata": map[string]any{"creationTimestamp": nil}}
	raw, err := json.Marshal(spec)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, err
	}
	if version == "v1beta1" {
		if g, ok := m["groups"]; ok {
			delete(m, "groups")
			m["group"] = g
		}
	}
	review["spec"] = m
	review["status"] = map[string]any{"allowed": false}
	return json.Marshal(review)
}
