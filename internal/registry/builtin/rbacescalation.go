package builtin

import (
	"context"
	"errors"
	"slices"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// RBACRules resolves what users hold, for RBAC's escalation prevention.
type RBACRules interface {
	// ConfirmNoEscalation fails when u does not hold every rule of want in ns.
	ConfirmNoEscalation(u *request.User, ns string, want []rbacv1.PolicyRule) error
	// RoleRules returns the rules of the role a binding in ns refers to.
	RoleRules(ref rbacv1.RoleRef, ns string) ([]rbacv1.PolicyRule, error)
}

// escalation keeps users from granting permissions they do not hold, as upstream:
// writing a role needs its rules (or the escalate verb), writing a binding needs the
// bound role's rules (or the bind verb on it); system:masters may do anything.
type escalation struct {
	deps Deps
}

// roleWrite checks a Role or ClusterRole write.
func (e escalation) roleWrite(resource string, rules func(runtime.Object) []rbacv1.PolicyRule) func(ctx context.Context, obj, old runtime.Object) error {
	return func(ctx context.Context, obj, old runtime.Object) error {
		if e.deps.RBAC == nil {
			return nil
		}
		u, _ := request.UserFrom(ctx)
		m := obj.(metav1.Object)
		if u == nil || isPrivileged(u) || (old != nil && onlyGCFieldsChanged(obj, old)) {
			return nil
		}
		if e.allowed(ctx, u, &request.Info{IsResourceRequest: true, Verb: "escalate", APIGroup: rbacv1.GroupName,
			APIVersion: "*", Resource: resource, Name: m.GetName(), Namespace: m.GetNamespace()}) {
			return nil
		}
		if err := e.deps.RBAC.ConfirmNoEscalation(u, m.GetNamespace(), rules(obj)); err != nil {
			return apierrors.NewForbidden(schema.GroupResource{Group: rbacv1.GroupName, Resource: resource}, m.GetName(), err)
		}
		return nil
	}
}

// fullAuthority is what setting an aggregationRule needs, since it can gather any rule.
var fullAuthority = []rbacv1.PolicyRule{
	{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}},
	{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}},
}

// clusterRoleWrite checks a ClusterRole write: its rules, and cluster-admin power for
// a new or changed aggregationRule.
func (e escalation) clusterRoleWrite() func(ctx context.Context, obj, old runtime.Object) error {
	checkRules := e.roleWrite("clusterroles", func(o runtime.Object) []rbacv1.PolicyRule { return o.(*rbacv1.ClusterRole).Rules })
	return func(ctx context.Context, obj, old runtime.Object) error {
		if err := checkRules(ctx, obj, old); err != nil {
			return err
		}
		u, _ := request.UserFrom(ctx)
		cr := obj.(*rbacv1.ClusterRole)
		if e.deps.RBAC == nil || u == nil || isPrivileged(u) || cr.AggregationRule == nil {
			return nil
		}
		if old != nil && equality.Semantic.DeepEqual(cr.AggregationRule, old.(*rbacv1.ClusterRole).AggregationRule) {
			return nil
		}
		if e.allowed(ctx, u, &request.Info{IsResourceRequest: true, Verb: "escalate", APIGroup: rbacv1.GroupName,
			APIVersion: "*", Resource: "clusterroles", Name: cr.Name}) {
			return nil
		}
		if err := e.deps.RBAC.ConfirmNoEscalation(u, "", fullAuthority); err != nil {
			return apierrors.NewForbidden(schema.GroupResource{Group: rbacv1.GroupName, Resource: "clusterroles"}, cr.Name,
				errors.New("must have cluster-admin privileges to use the aggregationRule"))
		}
		return nil
	}
}

// bindingWrite checks a RoleBinding or ClusterRoleBinding write.
func (e escalation) bindingWrite(resource string, roleRef func(runtime.Object) rbacv1.RoleRef) func(ctx context.Context, obj, old runtime.Object) error {
	return func(ctx context.Context, obj, old runtime.Object) error {
		if e.deps.RBAC == nil {
			return nil
		}
		u, _ := request.UserFrom(ctx)
		m := obj.(metav1.Object)
		if u == nil || isPrivileged(u) || (old != nil && onlyGCFieldsChanged(obj, old)) {
			return nil
		}
		ref, ns := roleRef(obj), m.GetNamespace()
		bindable := "roles"
		if ref.Kind == "ClusterRole" {
			bindable = "clusterroles"
		}
		if ref.APIGroup == rbacv1.GroupName && (ref.Kind == "Role" || ref.Kind == "ClusterRole") &&
			e.allowed(ctx, u, &request.Info{IsResourceRequest: true, Verb: "bind", APIGroup: rbacv1.GroupName,
				APIVersion: "*", Resource: bindable, Name: ref.Name, Namespace: ns}) {
			return nil
		}
		gr := schema.GroupResource{Group: rbacv1.GroupName, Resource: resource}
		rules, err := e.deps.RBAC.RoleRules(ref, ns)
		if err != nil {
			return apierrors.NewForbidden(gr, m.GetName(), err)
		}
		if err := e.deps.RBAC.ConfirmNoEscalation(u, ns, rules); err != nil {
			return apierrors.NewForbidden(gr, m.GetName(), err)
		}
		return nil
	}
}

func (e escalation) allowed(ctx context.Context, u *request.User, info *request.Info) bool {
	if e.deps.Authorizer == nil {
		return false
	}
	d, _, _ := e.deps.Authorizer.Authorize(ctx, authz.Attributes{User: u, Info: info})
	return d == authz.Allow
}

func isPrivileged(u *request.User) bool {
	return slices.Contains(u.Groups, request.SystemPrivilegedGrp)
}

// onlyGCFieldsChanged reports whether an update touches only what the garbage
// collector writes (owner references and finalizers), which needs no escalation check.
func onlyGCFieldsChanged(obj, old runtime.Object) bool {
	a, b := obj.DeepCopyObject(), old.DeepCopyObject()
	for _, o := range []runtime.Object{a, b} {
		m := o.(metav1.Object)
		m.SetOwnerReferences(nil)
		m.SetFinalizers(nil)
		m.SetManagedFields(nil)
		m.SetResourceVersion("")
	}
	return equality.Semantic.DeepEqual(a, b)
}
