package policy

import (
	"context"
	"slices"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

// match is where a request matched: the version the policy sees it in.
type match struct {
	gvr  schema.GroupVersionResource
	kind schema.GroupVersionKind
}

// matches applies a policy's matchConstraints or a binding's matchResources:
// selectors, exclusions, then resource rules (every resource when none); nil mr
// matches everything.
func (p *Plugin) matches(ctx context.Context, mr *admissionregistrationv1.MatchResources, s webhook.Subject, a *endpoints.Attributes) (*match, error) {
	self := &match{gvr: s.Resource, kind: a.Kind}
	if mr == nil {
		return self, nil
	}
	nsOK, nsErr := webhook.MatchNamespaceSelector(ctx, mr.NamespaceSelector, s, p.cfg.Namespaces)
	if !nsOK && nsErr == nil {
		return nil, nil
	}
	objOK, objErr := webhook.MatchObjectSelector(mr.ObjectSelector, s)
	if !objOK && objErr == nil {
		return nil, nil
	}
	if m := p.matchRules(mr.ExcludeResourceRules, mr.MatchPolicy, s.Request, a); m != nil {
		return nil, nil
	}
	m := self
	if len(mr.ResourceRules) > 0 {
		m = p.matchRules(mr.ResourceRules, mr.MatchPolicy, s.Request, a)
	}
	if m == nil {
		return nil, nil
	}
	if nsErr != nil {
		return nil, nsErr
	}
	if objErr != nil {
		return nil, objErr
	}
	return m, nil
}

// matchRules finds the first rule that covers r (by name when the rule lists
// names), trying the other served versions under matchPolicy Equivalent.
func (p *Plugin) matchRules(rules []admissionregistrationv1.NamedRuleWithOperations, policy *admissionregistrationv1.MatchPolicyType,
	r webhook.Request, a *endpoints.Attributes) *match {
	name, kind := a.Name, a.Kind
	covers := func(rule admissionregistrationv1.NamedRuleWithOperations, req webhook.Request) bool {
		return webhook.RuleMatches(rule.RuleWithOperations, req) &&
			(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, name))
	}
	for _, rule := range rules {
		if covers(rule, r) {
			return &match{gvr: r.Resource, kind: kind}
		}
	}
	if policy == nil || *policy == admissionregistrationv1.Exact {
		return nil
	}
	for _, gvk := range p.versions.For(a).Equivalents(r.Resource) {
		alt := r
		alt.Resource.Version = gvk.Version
		for _, rule := range rules {
			if covers(rule, alt) {
				return &match{gvr: alt.Resource, kind: gvk}
			}
		}
	}
	return nil
}
