package aggregator

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/endpoints/discovery"
)

// Aggregator keeps the table of remote APIServices, proxies their requests and
// checks their availability. Start it once; Handler may serve before that (every
// group version is then local).
type Aggregator struct {
	cfg     Config
	headers Headers

	// backends is the current table, read without locking by every request.
	backends atomic.Pointer[table]

	mu sync.Mutex // guards the fields below
	// services are the APIServices that name a Service, by name.
	services map[string]*apiregistrationv1.APIService
	// fetched are the remotes' resource lists and OpenAPI documents from the
	// last successful check, by group version.
	fetched map[schema.GroupVersion]*fetched

	probes *controlplane.Queue
}

// fetched is what a successful check learned about a remote group version.
type fetched struct {
	resources *metav1.APIResourceList
	// openAPI is the remote's /openapi/v3/apis/<group>/<version>, nil when it
	// serves none.
	openAPI []byte
	// openAPIV2 is this group version's part of the remote's /openapi/v2, nil
	// when it serves none.
	openAPIV2 *remoteV2
}

// New returns an aggregator over cfg.
func New(cfg Config) *Aggregator {
	if cfg.ProbeInterval <= 0 {
		cfg.ProbeInterval = defaultProbeInterval
	}
	a := &Aggregator{
		cfg:      cfg,
		headers:  cfg.Headers.withDefaults(),
		services: map[string]*apiregistrationv1.APIService{},
		fetched:  map[schema.GroupVersion]*fetched{},
		probes:   controlplane.NewQueue("apiservice-availability"),
	}
	a.backends.Store(&table{})
	return a
}

// Start loads the APIServices, so that their requests are proxied from the moment
// the server is ready, then follows changes and checks availability until ctx ends.
func (a *Aggregator) Start(ctx context.Context) error {
	rv, err := a.relist(ctx)
	if err != nil {
		return err
	}
	go a.probes.Run(ctx, 2, a.check)
	go a.follow(ctx, rv)
	go a.resync(ctx)
	return nil
}

// relist reads every APIService, rebuilds the table and queues every remote one.
func (a *Aggregator) relist(ctx context.Context) (string, error) {
	obj, err := a.cfg.APIServices.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	list := obj.(*apiregistrationv1.APIServiceList)
	a.mu.Lock()
	a.services = map[string]*apiregistrationv1.APIService{}
	for i := range list.Items {
		if svc := &list.Items[i]; svc.Spec.Service != nil {
			a.services[svc.Name] = svc
		}
	}
	names := a.serviceNamesLocked()
	a.mu.Unlock()
	a.rebuild()
	for _, n := range names {
		a.probes.Add(n)
	}
	return list.ResourceVersion, nil
}

// follow watches the APIServices; a broken watch relists.
func (a *Aggregator) follow(ctx context.Context, rv string) {
	a.cfg.APIServices.Follow(ctx, rv, func(obj runtime.Object, deleted bool) {
		if svc, ok := obj.(*apiregistrationv1.APIService); ok {
			a.observe(svc, deleted)
		}
	}, func(ctx context.Context) (string, error) {
		rv, err := a.relist(ctx)
		if err != nil {
			slog.Warn("listing APIServices", "err", err)
		}
		return rv, err
	})
}

// observe records one APIService change and queues its check when its spec changed.
func (a *Aggregator) observe(svc *apiregistrationv1.APIService, deleted bool) {
	a.mu.Lock()
	prev := a.services[svc.Name]
	if deleted || svc.Spec.Service == nil {
		delete(a.services, svc.Name)
	} else {
		a.services[svc.Name] = svc
	}
	a.mu.Unlock()
	a.rebuild()
	if !deleted && svc.Spec.Service != nil && (prev == nil || prev.Generation != svc.Generation) {
		a.probes.Add(svc.Name)
	}
}

// resync checks every remote APIService each ProbeInterval.
func (a *Aggregator) resync(ctx context.Context) {
	t := time.NewTicker(a.cfg.ProbeInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.mu.Lock()
			names := a.serviceNamesLocked()
			a.mu.Unlock()
			for _, n := range names {
				a.probes.Add(n)
			}
		}
	}
}

func (a *Aggregator) serviceNamesLocked() []string {
	out := make([]string, 0, len(a.services))
	for n := range a.services {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// rebuild replaces the table from the APIServices and republishes discovery.
func (a *Aggregator) rebuild() {
	a.mu.Lock()
	defer a.mu.Unlock()
	old := *a.backends.Load()
	next := table{}
	for _, svc := range a.services {
		gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
		if gv.Group == "" {
			continue // the legacy group is always served locally
		}
		next[gv] = a.newBackend(svc, old[gv])
	}
	for gv := range a.fetched {
		if next[gv] == nil {
			delete(a.fetched, gv)
		}
	}
	a.backends.Store(&next)
	a.publishLocked()
}

// publishLocked tells discovery the remote group versions. Callers hold mu.
func (a *Aggregator) publishLocked() {
	if a.cfg.PublishDiscovery == nil {
		return
	}
	t := *a.backends.Load()
	remote := make([]discovery.Remote, 0, len(t))
	for gv, b := range t {
		r := discovery.Remote{GroupVersion: gv, GroupPriority: int(b.spec.GroupPriorityMinimum), VersionPriority: int(b.spec.VersionPriority)}
		if f := a.fetched[gv]; f != nil && b.available {
			r.Resources = f.resources
		}
		remote = append(remote, r)
	}
	sort.Slice(remote, func(i, j int) bool { return remote[i].GroupVersion.String() < remote[j].GroupVersion.String() })
	a.cfg.PublishDiscovery(remote)
}

// setFetched records (f non-nil) or forgets what the check of gv fetched.
func (a *Aggregator) setFetched(gv schema.GroupVersion, f *fetched) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if f == nil {
		if a.fetched[gv] == nil {
			return
		}
		delete(a.fetched, gv)
	} else {
		a.fetched[gv] = f
	}
	a.publishLocked()
}

// lookup returns the backend of a remote group version.
func (a *Aggregator) lookup(gv schema.GroupVersion) *backend {
	return (*a.backends.Load())[gv]
}
