package rbacpolicy

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/util/retry"

	"github.com/kapi-dev/kapi/internal/parallel"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// StoreFor returns the store serving a resource, or nil when it is not served.
type StoreFor func(gvr schema.GroupVersionResource) *registry.Store

var (
	clusterRolesGVR        = rbacv1.SchemeGroupVersion.WithResource("clusterroles")
	clusterRoleBindingsGVR = rbacv1.SchemeGroupVersion.WithResource("clusterrolebindings")
	rolesGVR               = rbacv1.SchemeGroupVersion.WithResource("roles")
	roleBindingsGVR        = rbacv1.SchemeGroupVersion.WithResource("rolebindings")
	namespacesGVR          = corev1.SchemeGroupVersion.WithResource("namespaces")
)

// apiserverUser is who the writes are made as: kube-apiserver's own loopback
// identity, which RBAC's escalation checks let grant anything.
var apiserverUser = &request.User{Name: "system:apiserver", Groups: []string{"system:masters", "system:authenticated"}}

// Reconcile writes the bootstrap policy through stores. A pass that leaves any object
// unreconciled (etcd not answering yet, say) is retried every second for 30 seconds,
// as upstream's post-start hook does; the server must not report ready before it
// returns nil. Several servers may reconcile the same etcd at once.
func Reconcile(ctx context.Context, stores StoreFor) error {
	return reconcileUntil(ctx, stores, Bootstrap(), 30*time.Second, time.Second)
}

func reconcileUntil(ctx context.Context, stores StoreFor, p *Policy, timeout, interval time.Duration) error {
	ctx = request.WithUser(ctx, apiserverUser)
	deadline := time.Now().Add(timeout)
	for {
		err := reconcileOnce(ctx, reconciler{stores: stores}, p)
		if err == nil {
			return nil
		}
		if !time.Now().Add(interval).Before(deadline) {
			return fmt.Errorf("unable to initialize roles: %w", err)
		}
		slog.Debug("rbac bootstrap policy: retrying", "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(interval):
		}
	}
}

// reconcileOnce reconciles every object of p, carrying on past failures so that as
// much as possible is in place, and returns them joined.
func reconcileOnce(ctx context.Context, r reconciler, p *Policy) error {
	if err := r.primeAggregatedRoles(ctx); err != nil {
		return fmt.Errorf("priming aggregated clusterroles: %w", err)
	}
	if err := r.primeSplitBindings(ctx); err != nil {
		return fmt.Errorf("priming split clusterrolebindings: %w", err)
	}
	var jobs []func() error
	for i := range p.ClusterRoles {
		jobs = append(jobs, func() error { return r.each(ctx, clusterRolesGVR, &p.ClusterRoles[i], r.role) })
	}
	for i := range p.ClusterRoleBindings {
		jobs = append(jobs, func() error { return r.each(ctx, clusterRoleBindingsGVR, &p.ClusterRoleBindings[i], r.binding) })
	}
	for i := range p.Roles {
		jobs = append(jobs, func() error { return r.each(ctx, rolesGVR, &p.Roles[i], r.role) })
	}
	for i := range p.RoleBindings {
		jobs = append(jobs, func() error { return r.each(ctx, roleBindingsGVR, &p.RoleBindings[i], r.binding) })
	}
	return parallel.Run(reconcileWorkers, jobs...)
}

// reconcileWorkers is how many objects are reconciled at once: the objects are
// independent, and etcd commits concurrent writes in shared batches.
const reconcileWorkers = 16

// reconciler writes policy objects through the stores.
type reconciler struct {
	stores StoreFor
}

// maxAttempts bounds how often one object is re-read after losing a race with
// another writer (a concurrent create, delete or recreate).
const maxAttempts = 4

type reconcileFunc func(ctx context.Context, st *registry.Store, want runtime.Object) error

// each reconciles want in the store of gvr, retrying conflicts and unavailability
// with client-go's default backoff. Resources that are not served are skipped.
func (r reconciler) each(ctx context.Context, gvr schema.GroupVersionResource, want runtime.Object, fn reconcileFunc) error {
	st := r.stores(gvr)
	if st == nil {
		return nil
	}
	err := retry.OnError(retry.DefaultBackoff, func(err error) bool {
		return apierrors.IsConflict(err) || apierrors.IsServiceUnavailable(err)
	}, func() error { return fn(ctx, st, want) })
	if err != nil {
		m := want.(metav1.Object)
		return fmt.Errorf("%s.%s %s: %w", gvr.Resource, gvr.Group, qualifiedName(m), err)
	}
	return nil
}

func qualifiedName(m metav1.Object) string {
	if m.GetNamespace() == "" {
		return m.GetName()
	}
	return m.GetNamespace() + "/" + m.GetName()
}

// role reconciles a Role or ClusterRole.
func (r reconciler) role(ctx context.Context, st *registry.Store, want runtime.Object) error {
	w, err := roleFieldsOf(want)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := st.Get(ctx, w.meta.Namespace, w.meta.Name, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if err = r.create(ctx, st, want); apierrors.IsAlreadyExists(err) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		c, err := roleFieldsOf(cur)
		if err != nil {
			return err
		}
		if protected(c.meta) {
			if missing := uncovered(*c.rules, *w.rules); len(missing) > 0 {
				slog.Warn("rbac bootstrap policy: skipped reconcile-protected role with missing permissions",
					"role", qualifiedName(c.meta), "missing", len(missing))
			}
			return nil
		}
		if !mergeRole(c, w) {
			return nil
		}
		err = r.update(ctx, st, w.meta, func(cur runtime.Object) error {
			c, err := roleFieldsOf(cur)
			if err == nil && !protected(c.meta) {
				mergeRole(c, w)
			}
			return err
		})
		if apierrors.IsNotFound(err) {
			continue
		}
		return err
	}
	return errors.New("exceeded maximum attempts")
}

// binding reconciles a RoleBinding or ClusterRoleBinding. A binding's roleRef cannot
// change, so one that refers to another role is deleted and created anew.
func (r reconciler) binding(ctx context.Context, st *registry.Store, want runtime.Object) error {
	w, err := bindingFieldsOf(want)
	if err != nil {
		return err
	}
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := st.Get(ctx, w.meta.Namespace, w.meta.Name, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			if err = r.create(ctx, st, want); apierrors.IsAlreadyExists(err) {
				continue
			}
			return err
		}
		if err != nil {
			return err
		}
		c, err := bindingFieldsOf(cur)
		if err != nil {
			return err
		}
		if protected(c.meta) {
			return nil
		}
		if *c.roleRef != *w.roleRef {
			// The UID precondition keeps a concurrent recreate by another server.
			uid := c.meta.UID
			_, _, err := st.Delete(ctx, w.meta.Namespace, w.meta.Name, &metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}}, nil, false)
			if apierrors.IsConflict(err) {
				continue
			}
			if err != nil && !apierrors.IsNotFound(err) {
				return err
			}
			if err = r.create(ctx, st, want); apierrors.IsAlreadyExists(err) {
				continue
			}
			slog.Debug("rbac bootstrap policy: recreated binding with a changed roleRef", "binding", qualifiedName(c.meta))
			return err
		}
		if !mergeBinding(c, w) {
			return nil
		}
		err = r.update(ctx, st, w.meta, func(cur runtime.Object) error {
			c, err := bindingFieldsOf(cur)
			switch {
			case err != nil:
				return err
			case *c.roleRef != *w.roleRef:
				return apierrors.NewConflict(st.Resource().GroupVersionResource().GroupResource(), w.meta.Name,
					errors.New("roleRef changed during reconciliation"))
			case !protected(c.meta):
				mergeBinding(c, w)
			}
			return nil
		})
		if apierrors.IsNotFound(err) {
			continue
		}
		return err
	}
	return errors.New("exceeded maximum attempts")
}

// create stores a copy of want, first creating its namespace when it is missing
// (the policy's namespaces may not exist yet when this runs).
func (r reconciler) create(ctx context.Context, st *registry.Store, want runtime.Object) error {
	obj := want.DeepCopyObject()
	m := obj.(metav1.Object)
	if ns := m.GetNamespace(); ns != "" {
		if err := r.ensureNamespace(ctx, ns); err != nil {
			return err
		}
	}
	_, err := st.Create(ctx, m.GetNamespace(), obj, st.ManagedBy(registry.ServerManager, ""), nil, false)
	if err == nil {
		slog.Debug("rbac bootstrap policy: created", "resource", st.Resource().Name, "name", qualifiedName(m))
	}
	return err
}

func (r reconciler) ensureNamespace(ctx context.Context, name string) error {
	st := r.stores(namespacesGVR)
	if st == nil {
		return nil
	}
	_, err := st.Get(ctx, "", name, &metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return err
	}
	// Labelled as upstream's defaulting does before its field manager runs.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelMetadataName: name}}}
	_, err = st.Create(ctx, "", ns, st.ManagedBy(registry.ServerManager, ""), nil, false)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// update rewrites the stored object after fix changed it; the store retries fix on
// the latest version when another writer got there first. An object that is gone
// yields NotFound.
func (r reconciler) update(ctx context.Context, st *registry.Store, m *metav1.ObjectMeta, fix func(cur runtime.Object) error) error {
	_, _, err := st.Update(ctx, m.Namespace, m.Name, "", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		if cur == nil {
			return nil, apierrors.NewNotFound(st.Resource().GroupVersionResource().GroupResource(), m.Name)
		}
		if err := fix(cur); err != nil {
			return nil, err
		}
		return cur, nil
	}, st.ManagedBy(registry.ServerManager, ""), nil, false, false)
	if err == nil {
		slog.Debug("rbac bootstrap policy: updated", "resource", st.Resource().Name, "name", qualifiedName(m))
	}
	return err
}
