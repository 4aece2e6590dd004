package admission

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/registry"
)

// Reader reads one resource; *registry.Store is one. Plugins read at
// resourceVersion "0" so the watch cache answers.
type Reader interface {
	Get(ctx context.Context, ns, name string, opts *metav1.GetOptions) (runtime.Object, error)
	List(ctx context.Context, ns string, opts *metav1.ListOptions) (runtime.Object, error)
}

// Updater writes one resource under compare-and-swap; *registry.Store is one.
type Updater interface {
	Update(ctx context.Context, ns, name, subresource string, update registry.UpdateFunc, mutate, validate registry.AdmitFunc, forceAllowCreate, dryRun bool) (runtime.Object, bool, error)
}

// Deps is what the built-in plugins need from the server.
type Deps struct {
	// Readers returns the reader of a served resource, nil when not served.
	Readers func(gvr schema.GroupVersionResource) Reader
	// ResourceReaders returns the reader of a served resource in any version (quota
	// counts objects of every resource), nil when not served.
	ResourceReaders func(gr schema.GroupResource) Reader
	// QuotaWriter updates resourcequotas/status.
	QuotaWriter Updater
	// Authorizer answers the certificate plugins' approve/sign checks.
	Authorizer authz.Authorizer
	// Metrics is where plugins record upstream's series (PodSecurity's
	// pod_security_*); nil records nothing.
	Metrics *metrics.Metrics
	// NotReadyTolerationSeconds and UnreachableTolerationSeconds are the
	// DefaultTolerationSeconds plugin's (--default-not-ready-toleration-seconds,
	// --default-unreachable-toleration-seconds); nil is upstream's 300.
	NotReadyTolerationSeconds, UnreachableTolerationSeconds *int64
}

// Factory builds a plugin from its raw configuration (nil when none was given).
type Factory func(d Deps, config []byte) (any, error)

// Factories are the plugins kapi implements, by name.
var Factories = map[string]Factory{}

// errNotServed is returned when a plugin's resource is not served.
var errNotServed = errors.New("resource not served")

// getFromCache reads name from the watch cache alone, as upstream's plugins read
// their informers' listers: a miss is NotFound without a request to etcd. The cache
// has seen every write of the resource this server acknowledged (cacher.Get).
func getFromCache(ctx context.Context, d Deps, gvr schema.GroupVersionResource, ns, name string) (runtime.Object, error) {
	r := d.Readers(gvr)
	if r == nil {
		return nil, errNotServed
	}
	return r.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: "0"})
}

// getCached reads name through the watch cache, from storage when not found there:
// the plugins that ask storage too (as upstream's do with a live GET) must see an
// object another server of an HA set created a moment ago.
func getCached(ctx context.Context, d Deps, gvr schema.GroupVersionResource, ns, name string) (runtime.Object, error) {
	obj, err := getFromCache(ctx, d, gvr, ns, name)
	if apierrors.IsNotFound(err) {
		return d.Readers(gvr).Get(ctx, ns, name, &metav1.GetOptions{})
	}
	return obj, err
}

// listCached lists ns through the watch cache, from storage when that is empty.
func listCached(ctx context.Context, d Deps, gvr schema.GroupVersionResource, ns string) (runtime.Object, error) {
	r := d.Readers(gvr)
	if r == nil {
		return nil, errNotServed
	}
	obj, err := r.List(ctx, ns, &metav1.ListOptions{ResourceVersion: "0"})
	if err != nil {
		return nil, err
	}
	if meta.LenList(obj) == 0 {
		// Empty may only mean the cache lags: ask storage.
		return r.List(ctx, ns, &metav1.ListOptions{})
	}
	return obj, nil
}

// NewChain builds the chain of names (already in order) with their configuration
// from cfg. A plugin kapi does not implement is skipped when skip reports true for it
// (webhooks and policies are added by their own packages); otherwise it fails.
func NewChain(names []string, d Deps, cfg *Config, skip func(name string) bool) (Chain, error) {
	var c Chain
	for _, n := range names {
		f, ok := Factories[n]
		if !ok {
			if skip != nil && skip(n) {
				continue
			}
			return nil, fmt.Errorf("unknown admission plugin: %s", n)
		}
		raw, err := cfg.For(n)
		if err != nil {
			return nil, fmt.Errorf("couldn't init admission plugin %q: %v", n, err)
		}
		p, err := f(d, raw)
		if err != nil {
			return nil, fmt.Errorf("couldn't init admission plugin %q: %v", n, err)
		}
		c = append(c, NamedPlugin{Name: n, Plugin: p})
	}
	return c, nil
}
