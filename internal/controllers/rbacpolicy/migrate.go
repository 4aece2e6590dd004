package rbacpolicy

import (
	"context"
	"fmt"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/registry"
)

// rolesToAggregate maps the roles that became aggregated to the role now holding
// their rules.
var rolesToAggregate = map[string]string{
	"admin": "system:aggregate-to-admin",
	"edit":  "system:aggregate-to-edit",
	"view":  "system:aggregate-to-view",
}

// primeAggregatedRoles carries rules that users added to admin, edit or view before
// those became aggregated over to their system:aggregate-to-* role, once, so that
// upgrading from such a cluster keeps them.
func (r reconciler) primeAggregatedRoles(ctx context.Context) error {
	st := r.stores(clusterRolesGVR)
	if st == nil {
		return nil
	}
	for oldName, newName := range rolesToAggregate {
		_, err := st.Get(ctx, "", newName, &metav1.GetOptions{})
		if err == nil {
			continue
		}
		if !apierrors.IsNotFound(err) {
			return err
		}
		obj, err := st.Get(ctx, "", oldName, &metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		old, ok := obj.(*rbacv1.ClusterRole)
		if !ok {
			return fmt.Errorf("clusterroles store returned %T", obj)
		}
		if old.AggregationRule != nil {
			continue // already aggregated: nothing of the user's to carry over
		}
		migrated := old.DeepCopy()
		migrated.ObjectMeta = metav1.ObjectMeta{Name: newName, Labels: old.Labels, Annotations: old.Annotations}
		if _, err := st.Create(ctx, "", migrated, st.ManagedBy(registry.ServerManager, ""), nil, false); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// primeSplitBindings creates system:public-info-viewer's binding from
// system:discovery's subjects, labels and annotations when only the latter exists:
// the public paths were split out of system:discovery and must stay as open as an
// administrator had made them.
func (r reconciler) primeSplitBindings(ctx context.Context) error {
	st := r.stores(clusterRoleBindingsGVR)
	if st == nil {
		return nil
	}
	const source, target = "system:discovery", "system:public-info-viewer"
	obj, err := st.Get(ctx, "", source, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	_, err = st.Get(ctx, "", target, &metav1.GetOptions{})
	if !apierrors.IsNotFound(err) {
		return err
	}
	src, ok := obj.(*rbacv1.ClusterRoleBinding)
	if !ok {
		return fmt.Errorf("clusterrolebindings store returned %T", obj)
	}
	split := clusterBinding(target, src.Subjects...)
	split.Labels, split.Annotations = src.Labels, src.Annotations
	if _, err := st.Create(ctx, "", &split, st.ManagedBy(registry.ServerManager, ""), nil, false); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	return nil
}
