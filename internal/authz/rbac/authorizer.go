package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// Authorizer decides with the RBAC objects of an Index. Like upstream's it allows or
// has no opinion, never denies.
type Authorizer struct {
	idx *Index
}

// New returns an authorizer over idx.
func New(idx *Index) *Authorizer { return &Authorizer{idx: idx} }

// Authorize implements authz.Authorizer.
func (a *Authorizer) Authorize(_ context.Context, attrs authz.Attributes) (authz.Decision, string, error) {
	if attrs.User == nil || attrs.Info == nil {
		return authz.NoOpinion, "", nil
	}
	req := RequestFromInfo(attrs.Info)
	var allowedBy *Grant
	var errs []error
	a.VisitRules(attrs.User, attrs.Info.Namespace, func(src *Grant, rule *rbacv1.PolicyRule, err error) bool {
		if err != nil {
			errs = append(errs, err)
			return true
		}
		if RuleAllows(rule, &req) {
			s := *src
			allowedBy = &s
			return false
		}
		return true
	})
	if allowedBy != nil {
		return authz.Allow, "RBAC: allowed by " + allowedBy.String(), nil
	}
	if len(errs) > 0 {
		return authz.NoOpinion, "RBAC: " + joinErrors(errs), nil
	}
	return authz.NoOpinion, "", nil
}

// joinErrors renders several errors as upstream's aggregate does: one as itself,
// several as a bracketed list.
func joinErrors(errs []error) string {
	if len(errs) == 1 {
		return errs[0].Error()
	}
	msgs := make([]string, len(errs))
	for i, e := range errs {
		msgs[i] = e.Error()
	}
	return "[" + strings.Join(msgs, ", ") + "]"
}

// RequestFromInfo is the rule-matching view of a request.
func RequestFromInfo(info *request.Info) Request {
	return Request{
		Verb:            info.Verb,
		ResourceRequest: info.IsResourceRequest,
		APIGroup:        info.APIGroup,
		Resource:        info.Resource,
		Subresource:     info.Subresource,
		Name:            info.Name,
		Path:            info.Path,
	}
}

// Rules returns every rule that applies to u in namespace ns (cluster-wide rules
// only when ns is ""), and the errors met resolving role references.
func (a *Authorizer) Rules(u *request.User, ns string) ([]rbacv1.PolicyRule, []error) {
	var rules []rbacv1.PolicyRule
	var errs []error
	a.VisitRules(u, ns, func(_ *Grant, rule *rbacv1.PolicyRule, err error) bool {
		if err != nil {
			errs = append(errs, err)
		} else {
			rules = append(rules, *rule)
		}
		return true
	})
	return rules, errs
}

// ConfirmNoEscalation returns an error naming the rules of want that u does not hold
// in namespace ns: granting them would escalate u's privileges.
func (a *Authorizer) ConfirmNoEscalation(u *request.User, ns string, want []rbacv1.PolicyRule) error {
	owned, errs := a.Rules(u, ns)
	ok, missing := Covers(owned, want)
	if ok {
		return nil
	}
	descs := map[string]bool{}
	for _, r := range compact(missing) {
		descs[compactString(r)] = true
	}
	lines := make([]string, 0, len(descs))
	for d := range descs {
		lines = append(lines, d)
	}
	slices.Sort(lines)
	msg := fmt.Sprintf("user %q (groups=%q) is attempting to grant RBAC permissions not currently held:\n%s", u.Name, u.Groups, strings.Join(lines, "\n"))
	if len(errs) > 0 {
		msg += fmt.Sprintf("; resolution errors: %v", errs)
	}
	return errors.New(msg)
}

// Grant is the binding through which a rule applies, for the Allow reason.
type Grant struct {
	clusterBinding *rbacv1.ClusterRoleBinding
	binding        *rbacv1.RoleBinding
	subject        *rbacv1.Subject
}

func (s *Grant) String() string {
	if s.clusterBinding != nil {
		b := s.clusterBinding
		return fmt.Sprintf("ClusterRoleBinding %q of %s %q to %s", b.Name, b.RoleRef.Kind, b.RoleRef.Name, describeSubject(s.subject, ""))
	}
	b := s.binding
	return fmt.Sprintf("RoleBinding %q of %s %q to %s", b.Name+"/"+b.Namespace, b.RoleRef.Kind, b.RoleRef.Name, describeSubject(s.subject, b.Namespace))
}

func describeSubject(s *rbacv1.Subject, bindingNamespace string) string {
	if s.Kind == rbacv1.ServiceAccountKind {
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		return fmt.Sprintf("%s %q", s.Kind, s.Name+"/"+ns)
	}
	return fmt.Sprintf("%s %q", s.Kind, s.Name)
}

// VisitRules calls visit with each rule that applies to u: those of the
// ClusterRoleBindings, then those of the RoleBindings of ns. A role reference that
// cannot be resolved is reported as an error. visit returns false to stop.
func (a *Authorizer) VisitRules(u *request.User, ns string, visit func(src *Grant, rule *rbacv1.PolicyRule, err error) bool) {
	src := &Grant{}
	for _, b := range a.idx.ClusterRoleBindings() {
		i := appliesTo(u, b.Subjects, "")
		if i < 0 {
			continue
		}
		rules, err := a.RoleRules(b.RoleRef, "")
		if err != nil {
			if !visit(nil, nil, err) {
				return
			}
			continue
		}
		*src = Grant{clusterBinding: b, subject: &b.Subjects[i]}
		for j := range rules {
			if !visit(src, &rules[j], nil) {
				return
			}
		}
	}
	if ns == "" {
		return
	}
	a.idx.RoleBindings(ns, func(b *rbacv1.RoleBinding) bool {
		i := appliesTo(u, b.Subjects, ns)
		if i < 0 {
			return true
		}
		rules, err := a.RoleRules(b.RoleRef, ns)
		if err != nil {
			return visit(nil, nil, err)
		}
		*src = Grant{binding: b, subject: &b.Subjects[i]}
		for j := range rules {
			if !visit(src, &rules[j], nil) {
				return false
			}
		}
		return true
	})
}

// RoleRules returns the rules of a binding's role, or upstream's lister NotFound error
// (which names the singular resource) when it does not exist.
func (a *Authorizer) RoleRules(ref rbacv1.RoleRef, ns string) ([]rbacv1.PolicyRule, error) {
	switch ref.Kind {
	case "Role":
		if r := a.idx.Role(ns, ref.Name); r != nil {
			return r.Rules, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: rbacv1.GroupName, Resource: "role"}, ref.Name)
	case "ClusterRole":
		if r := a.idx.ClusterRole(ref.Name); r != nil {
			return r.Rules, nil
		}
		return nil, apierrors.NewNotFound(schema.GroupResource{Group: rbacv1.GroupName, Resource: "clusterrole"}, ref.Name)
	}
	return nil, fmt.Errorf("unsupported role reference kind: %q", ref.Kind)
}

// appliesTo returns the index of the first subject that names u, or -1.
func appliesTo(u *request.User, subjects []rbacv1.Subject, bindingNamespace string) int {
	for i := range subjects {
		if subjectMatches(u, &subjects[i], bindingNamespace) {
			return i
		}
	}
	return -1
}

func subjectMatches(u *request.User, s *rbacv1.Subject, bindingNamespace string) bool {
	switch s.Kind {
	case rbacv1.UserKind:
		return u.Name == s.Name
	case rbacv1.GroupKind:
		return slices.Contains(u.Groups, s.Name)
	case rbacv1.ServiceAccountKind:
		ns := s.Namespace
		if ns == "" {
			ns = bindingNamespace
		}
		if ns == "" {
			return false
		}
		return u.Name == ServiceAccountUsername(ns, s.Name)
	}
	return false
}

// ServiceAccountUsername is the user name of a service account's tokens.
func ServiceAccountUsername(ns, name string) string {
	return "system:serviceaccount:" + ns + ":" + name
}

// RulesFor implements authz.RuleResolver with the user's RBAC rules in namespace ns.
func (a *Authorizer) RulesFor(_ context.Context, u *request.User, ns string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	rules, errs := a.Rules(u, ns)
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	for _, r := range rules {
		if len(r.Resources) > 0 {
			res = append(res, authorizationv1.ResourceRule{Verbs: r.Verbs, APIGroups: r.APIGroups, Resources: r.Resources, ResourceNames: r.ResourceNames})
		}
		if len(r.NonResourceURLs) > 0 {
			nonRes = append(nonRes, authorizationv1.NonResourceRule{Verbs: r.Verbs, NonResourceURLs: r.NonResourceURLs})
		}
	}
	if len(errs) > 0 {
		return res, nonRes, true, errors.New(joinErrors(errs))
	}
	return res, nonRes, false, nil
}
