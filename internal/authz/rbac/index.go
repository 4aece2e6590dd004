package rbac

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Source streams the objects of one resource: the current ones first, then changes
// (registry.Store satisfies it).
type Source interface {
	Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error)
}

// Sources are the four RBAC resources the index mirrors.
type Sources struct {
	Roles, RoleBindings, ClusterRoles, ClusterRoleBindings Source
}

// Index mirrors the RBAC objects in memory. Objects in it are shared and read-only.
type Index struct {
	mu                  sync.RWMutex
	roles               map[string]*rbacv1.Role // namespace/name
	clusterRoles        map[string]*rbacv1.ClusterRole
	roleBindings        map[string]map[string]*rbacv1.RoleBinding // namespace → name →
	clusterRoleBindings map[string]*rbacv1.ClusterRoleBinding

	// crbSnapshot is clusterRoleBindings as a slice, rebuilt after a change, so that
	// the hot path iterates without allocating.
	crbSnapshot atomic.Pointer[[]*rbacv1.ClusterRoleBinding]

	synced  sync.WaitGroup
	pending atomic.Int32
}

// NewIndex returns an empty index; Run fills it.
func NewIndex() *Index {
	x := &Index{
		roles:               map[string]*rbacv1.Role{},
		clusterRoles:        map[string]*rbacv1.ClusterRole{},
		roleBindings:        map[string]map[string]*rbacv1.RoleBinding{},
		clusterRoleBindings: map[string]*rbacv1.ClusterRoleBinding{},
	}
	x.crbSnapshot.Store(&[]*rbacv1.ClusterRoleBinding{})
	x.pending.Store(4)
	x.synced.Add(4)
	return x
}

// Run watches the sources until ctx ends, re-establishing a watch that closes.
func (x *Index) Run(ctx context.Context, src Sources) {
	for _, s := range []Source{src.Roles, src.RoleBindings, src.ClusterRoles, src.ClusterRoleBindings} {
		go x.follow(ctx, s)
	}
}

// WaitForSync blocks until every source delivered its initial objects or ctx ends.
func (x *Index) WaitForSync(ctx context.Context) error {
	done := make(chan struct{})
	go func() { x.synced.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Synced reports whether every source delivered its initial objects.
func (x *Index) Synced() bool { return x.pending.Load() == 0 }

func (x *Index) follow(ctx context.Context, src Source) {
	first := true
	for ctx.Err() == nil {
		err := x.watchOnce(ctx, src, &first)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			slog.Warn("rbac: watch failed, retrying", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Second):
		}
	}
}

// watchOnce lists (as initial events) and follows changes until the watch ends.
// Everything seen before the initial-events-end bookmark replaces what the index held,
// so objects deleted while no watch ran disappear.
func (x *Index) watchOnce(ctx context.Context, src Source, first *bool) error {
	yes := true
	w, err := src.Watch(ctx, "", &metav1.ListOptions{
		SendInitialEvents:    &yes,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		AllowWatchBookmarks:  true,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	initial := map[string]bool{}
	inInitial := true
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added, watch.Modified:
			key := x.put(ev.Object)
			if inInitial {
				initial[key] = true
			}
		case watch.Deleted:
			x.remove(ev.Object)
		case watch.Bookmark:
			if inInitial && isInitialEventsEnd(ev.Object) {
				inInitial = false
				x.pruneExcept(ev.Object, initial)
				if *first {
					*first = false
					x.pending.Add(-1)
					x.synced.Done()
				}
			}
		case watch.Error:
			return nil
		}
	}
	return nil
}

func isInitialEventsEnd(obj any) bool {
	m, ok := obj.(metav1.Object)
	return ok && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true"
}

func key(m metav1.Object) string { return m.GetNamespace() + "/" + m.GetName() }

// put stores obj and returns its key, prefixed by its kind.
func (x *Index) put(obj any) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch o := obj.(type) {
	case *rbacv1.Role:
		x.roles[key(o)] = o
		return "Role:" + key(o)
	case *rbacv1.ClusterRole:
		x.clusterRoles[o.Name] = o
		return "ClusterRole:" + o.Name
	case *rbacv1.RoleBinding:
		ns := x.roleBindings[o.Namespace]
		if ns == nil {
			ns = map[string]*rbacv1.RoleBinding{}
			x.roleBindings[o.Namespace] = ns
		}
		ns[o.Name] = o
		return "RoleBinding:" + key(o)
	case *rbacv1.ClusterRoleBinding:
		x.clusterRoleBindings[o.Name] = o
		x.rebuildCRBs()
		return "ClusterRoleBinding:" + o.Name
	}
	return ""
}

func (x *Index) remove(obj any) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch o := obj.(type) {
	case *rbacv1.Role:
		delete(x.roles, key(o))
	case *rbacv1.ClusterRole:
		delete(x.clusterRoles, o.Name)
	case *rbacv1.RoleBinding:
		delete(x.roleBindings[o.Namespace], o.Name)
	case *rbacv1.ClusterRoleBinding:
		delete(x.clusterRoleBindings, o.Name)
		x.rebuildCRBs()
	}
}

// pruneExcept drops the objects of bookmark's kind that keep (kind-prefixed keys) does
// not name: they were deleted while the index was not watching.
func (x *Index) pruneExcept(bookmark any, keep map[string]bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch bookmark.(type) {
	case *rbacv1.Role:
		for k := range x.roles {
			if !keep["Role:"+k] {
				delete(x.roles, k)
			}
		}
	case *rbacv1.ClusterRole:
		for k := range x.clusterRoles {
			if !keep["ClusterRole:"+k] {
				delete(x.clusterRoles, k)
			}
		}
	case *rbacv1.RoleBinding:
		for ns, m := range x.roleBindings {
			for name := range m {
				if !keep["RoleBinding:"+ns+"/"+name] {
					delete(m, name)
				}
			}
		}
	case *rbacv1.ClusterRoleBinding:
		for k := range x.clusterRoleBindings {
			if !keep["ClusterRoleBinding:"+k] {
				delete(x.clusterRoleBindings, k)
			}
		}
		x.rebuildCRBs()
	}
}

// rebuildCRBs publishes a new snapshot; the caller holds mu.
func (x *Index) rebuildCRBs() {
	s := make([]*rbacv1.ClusterRoleBinding, 0, len(x.clusterRoleBindings))
	for _, b := range x.clusterRoleBindings {
		s = append(s, b)
	}
	x.crbSnapshot.Store(&s)
}

// ClusterRoleBindings returns every ClusterRoleBinding (read-only, unordered).
func (x *Index) ClusterRoleBindings() []*rbacv1.ClusterRoleBinding { return *x.crbSnapshot.Load() }

// RoleBindings calls fn with each RoleBinding of namespace ns until fn returns false.
func (x *Index) RoleBindings(ns string, fn func(*rbacv1.RoleBinding) bool) {
	x.mu.RLock()
	bindings := make([]*rbacv1.RoleBinding, 0, len(x.roleBindings[ns]))
	for _, b := range x.roleBindings[ns] {
		bindings = append(bindings, b)
	}
	x.mu.RUnlock()
	for _, b := range bindings {
		if !fn(b) {
			return
		}
	}
}

// Role returns the Role ns/name or nil.
func (x *Index) Role(ns, name string) *rbacv1.Role {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.roles[ns+"/"+name]
}

// ClusterRole returns the ClusterRole name or nil.
func (x *Index) ClusterRole(name string) *rbacv1.ClusterRole {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.clusterRoles[name]
}
