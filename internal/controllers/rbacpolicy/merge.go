package rbacpolicy

import (
	"fmt"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// roleFields are the parts of a Role or ClusterRole that reconciliation reads and
// writes; agg is nil for a Role.
type roleFields struct {
	meta  *metav1.ObjectMeta
	rules *[]rbacv1.PolicyRule
	agg   **rbacv1.AggregationRule
}

func roleFieldsOf(obj runtime.Object) (roleFields, error) {
	switch o := obj.(type) {
	case *rbacv1.ClusterRole:
		return roleFields{meta: &o.ObjectMeta, rules: &o.Rules, agg: &o.AggregationRule}, nil
	case *rbacv1.Role:
		return roleFields{meta: &o.ObjectMeta, rules: &o.Rules}, nil
	}
	return roleFields{}, fmt.Errorf("%T is not a Role or ClusterRole", obj)
}

// bindingFields are the parts of a RoleBinding or ClusterRoleBinding that
// reconciliation reads and writes.
type bindingFields struct {
	meta     *metav1.ObjectMeta
	roleRef  *rbacv1.RoleRef
	subjects *[]rbacv1.Subject
}

func bindingFieldsOf(obj runtime.Object) (bindingFields, error) {
	switch o := obj.(type) {
	case *rbacv1.ClusterRoleBinding:
		return bindingFields{meta: &o.ObjectMeta, roleRef: &o.RoleRef, subjects: &o.Subjects}, nil
	case *rbacv1.RoleBinding:
		return bindingFields{meta: &o.ObjectMeta, roleRef: &o.RoleRef, subjects: &o.Subjects}, nil
	}
	return bindingFields{}, fmt.Errorf("%T is not a RoleBinding or ClusterRoleBinding", obj)
}

// protected reports whether an administrator turned reconciliation off for obj.
func protected(m *metav1.ObjectMeta) bool {
	return m.Annotations[AutoUpdateAnnotation] == "false"
}

// mergeMeta adds want's labels and annotations to cur; on a key both have, cur's
// value stays. It reports whether c changed.
func mergeMeta(cur, want *metav1.ObjectMeta) bool {
	changed := false
	merge := func(cur *map[string]string, want map[string]string) {
		for k, v := range want {
			if _, ok := (*cur)[k]; ok {
				continue
			}
			if *cur == nil {
				*cur = map[string]string{}
			}
			(*cur)[k] = v
			changed = true
		}
	}
	merge(&cur.Labels, want.Labels)
	merge(&cur.Annotations, want.Annotations)
	return changed
}

// mergeRole brings the stored role c up to w: labels, annotations, the rules
// c does not cover yet (appended, so that a user's own rules stay) and the
// aggregation selectors. An aggregated role's stored rules are the aggregation
// controller's and stay. It reports whether c changed.
func mergeRole(c, w roleFields) bool {
	changed := mergeMeta(c.meta, w.meta)
	if missing := uncovered(*c.rules, *w.rules); len(missing) > 0 {
		*c.rules = append(*c.rules, missing...)
		changed = true
	}
	if c.agg == nil {
		return changed
	}
	switch {
	case *w.agg == nil && *c.agg != nil:
		// The policy's role is not aggregated: its rules are the policy's, not gathered.
		*c.agg = nil
		changed = true
	case *w.agg != nil:
		if *c.agg == nil {
			*c.agg = &rbacv1.AggregationRule{}
		}
		for _, sel := range (*w.agg).ClusterRoleSelectors {
			if !slices.ContainsFunc((*c.agg).ClusterRoleSelectors, func(s metav1.LabelSelector) bool {
				return apiequality.Semantic.DeepEqual(s, sel)
			}) {
				(*c.agg).ClusterRoleSelectors = append((*c.agg).ClusterRoleSelectors, *sel.DeepCopy())
				changed = true
			}
		}
	}
	return changed
}

// mergeBinding adds w's labels, annotations and missing subjects to the stored
// binding c, keeping the subjects a user added. It reports whether c changed.
// Bindings of different roles are not merged: the caller recreates them.
func mergeBinding(c, w bindingFields) bool {
	changed := mergeMeta(c.meta, w.meta)
	for _, s := range *w.subjects {
		if !slices.Contains(*c.subjects, s) {
			*c.subjects = append(*c.subjects, s)
			changed = true
		}
	}
	return changed
}
