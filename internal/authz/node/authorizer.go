package node

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// Authorizer is the Node authorizer. It allows or has no opinion, never denies.
type Authorizer struct {
	// sources yields the stores on first use: the server builds its authorizers before
	// its stores.
	sources func() Sources
	// once resolves src from sources; src is read-only afterwards.
	once  sync.Once
	src   Sources
	rules []rbacv1.PolicyRule
	// index holds the references of the bound pods once Run synced it.
	index *podIndex
}

var (
	_ authz.Authorizer   = (*Authorizer)(nil)
	_ authz.RuleResolver = (*Authorizer)(nil)
)

// New returns the Node authorizer. sources is called once, when the first node
// request arrives, and must then return the server's stores.
func New(sources func() Sources) *Authorizer {
	return &Authorizer{sources: sources, rules: NodeRules(), index: newPodIndex()}
}

// Run feeds the pod index from the pods store until ctx ends. Before the index is
// synced, and without Run, relationships are found by listing the pods of the node
// from the watch cache: correct, but a scan of the namespace's pods per request.
func (a *Authorizer) Run(ctx context.Context) {
	a.stores()
	if a.src.Pods == nil {
		return
	}
	go a.index.run(ctx, a.src.Pods)
}

// Synced reports whether the pod index holds every pod.
func (a *Authorizer) Synced() bool { return a.index.synced.Load() }

// stores resolves the sources on first use.
func (a *Authorizer) stores() {
	a.once.Do(func() {
		if a.sources == nil {
			return
		}
		s := a.sources()
		// A typed nil (*registry.Store)(nil) in an interface field would be called and
		// panic; treat it as missing.
		a.src = Sources{
			Pods:                   nilIfTypedNil(s.Pods),
			PersistentVolumeClaims: nilIfTypedNil(s.PersistentVolumeClaims),
			PersistentVolumes:      nilIfTypedNil(s.PersistentVolumes),
			VolumeAttachments:      nilIfTypedNil(s.VolumeAttachments),
			ResourceSlices:         nilIfTypedNil(s.ResourceSlices),
			PodCertificateRequests: nilIfTypedNil(s.PodCertificateRequests),
		}
	})
}

func nilIfTypedNil[T any](v T) T {
	rv := reflect.ValueOf(&v).Elem()
	if rv.Kind() == reflect.Interface && !rv.IsNil() {
		if inner := rv.Elem(); inner.Kind() == reflect.Pointer && inner.IsNil() {
			var zero T
			return zero
		}
	}
	return v
}

// Authorize implements authz.Authorizer.
func (a *Authorizer) Authorize(ctx context.Context, attrs authz.Attributes) (authz.Decision, string, error) {
	node, isNode := Identity(attrs.User)
	if !isNode || attrs.Info == nil {
		return authz.NoOpinion, "", nil
	}
	if node == "" {
		return authz.NoOpinion, fmt.Sprintf("unknown node for user %q", attrs.User.Name), nil
	}
	info := attrs.Info
	if info.IsResourceRequest {
		if decide := subdivided[groupResource{info.APIGroup, info.Resource}]; decide != nil {
			a.stores()
			return decide(ctx, a, node, info)
		}
	}
	if rulesAllow(a.rules, info) {
		return authz.Allow, "", nil
	}
	return authz.NoOpinion, "", nil
}

// RulesFor implements authz.RuleResolver: a node's access depends on objects, so its
// rules cannot be listed; other users get none from this authorizer.
func (a *Authorizer) RulesFor(_ context.Context, u *request.User, _ string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	if _, isNode := Identity(u); isNode {
		return nil, nil, true, errors.New("node authorizer does not support user rule resolution")
	}
	return nil, nil, false, nil
}
