package webhook

import (
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Request names what an admission request is about, for rule matching.
type Request struct {
	Operation   string
	Resource    schema.GroupVersionResource
	Subresource string
	Namespace   string
}

// RuleMatches reports whether one rule covers r, as upstream's rule matcher: "*"
// is every resource without subresources, "*/*" every resource and subresource,
// "pods/*" every subresource of pods, "*/scale" the scale of every resource.
func RuleMatches(rule admissionregistrationv1.RuleWithOperations, r Request) bool {
	return matchOperation(rule.Operations, r.Operation) &&
		matchString(rule.APIGroups, r.Resource.Group) &&
		matchString(rule.APIVersions, r.Resource.Version) &&
		matchResource(rule.Resources, r.Resource.Resource, r.Subresource) &&
		matchScope(rule.Scope, r)
}

// AnyRuleMatches reports whether some rule covers r.
func AnyRuleMatches(rules []admissionregistrationv1.RuleWithOperations, r Request) bool {
	for _, rule := range rules {
		if RuleMatches(rule, r) {
			return true
		}
	}
	return false
}

func matchOperation(ops []admissionregistrationv1.OperationType, op string) bool {
	for _, o := range ops {
		if o == admissionregistrationv1.OperationAll || string(o) == op {
			return true
		}
	}
	return false
}

func matchString(list []string, s string) bool {
	for _, v := range list {
		if v == "*" || v == s {
			return true
		}
	}
	return false
}

func matchResource(list []string, resource, sub string) bool {
	for _, v := range list {
		res, rsub, _ := strings.Cut(v, "/")
		if (res == "*" || res == resource) && (rsub == "*" || rsub == sub) {
			return true
		}
	}
	return false
}

func matchScope(scope *admissionregistrationv1.ScopeType, r Request) bool {
	if scope == nil || *scope == admissionregistrationv1.AllScopes {
		return true
	}
	isNamespace := r.Resource.Group == "" && r.Resource.Resource == "namespaces"
	switch *scope {
	case admissionregistrationv1.NamespacedScope:
		return !isNamespace && r.Namespace != ""
	case admissionregistrationv1.ClusterScope:
		return isNamespace || r.Namespace == ""
	}
	return false
}
