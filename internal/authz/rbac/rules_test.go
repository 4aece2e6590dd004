package rbac

import (
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
)

func TestRuleAllows(t *testing.T) {
	podsGet := rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get"}}
	tests := []struct {
		name string
		rule rbacv1.PolicyRule
		req  Request
		want bool
	}{
		{"exact", podsGet, Request{Verb: "get", ResourceRequest: true, Resource: "pods"}, true},
		{"other verb", podsGet, Request{Verb: "list", ResourceRequest: true, Resource: "pods"}, false},
		{"other group", podsGet, Request{Verb: "get", ResourceRequest: true, APIGroup: "apps", Resource: "pods"}, false},
		{"subresource needs its own rule", podsGet, Request{Verb: "get", ResourceRequest: true, Resource: "pods", Subresource: "log"}, false},
		{"resource/subresource", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"pods/log"}, Verbs: []string{"get"}},
			Request{Verb: "get", ResourceRequest: true, Resource: "pods", Subresource: "log"}, true},
		{"*/subresource", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*/scale"}, Verbs: []string{"update"}},
			Request{Verb: "update", ResourceRequest: true, APIGroup: "apps", Resource: "deployments", Subresource: "scale"}, true},
		{"*/subresource not the resource", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*/scale"}, Verbs: []string{"update"}},
			Request{Verb: "update", ResourceRequest: true, APIGroup: "apps", Resource: "deployments"}, false},
		{"wildcards", rbacv1.PolicyRule{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}},
			Request{Verb: "deletecollection", ResourceRequest: true, APIGroup: "batch", Resource: "jobs", Subresource: "status"}, true},
		{"resource name", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"get"}, ResourceNames: []string{"a"}},
			Request{Verb: "get", ResourceRequest: true, Resource: "configmaps", Name: "a"}, true},
		{"resource name excludes unnamed", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"}, Verbs: []string{"list"}, ResourceNames: []string{"a"}},
			Request{Verb: "list", ResourceRequest: true, Resource: "configmaps"}, false},
		{"resource rule never matches a path", podsGet, Request{Verb: "get", Path: "/api"}, false},
		{"url exact", rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}, Request{Verb: "get", Path: "/healthz"}, true},
		{"url not prefix without star", rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz"}, Verbs: []string{"get"}}, Request{Verb: "get", Path: "/healthz/etcd"}, false},
		{"url star prefix", rbacv1.PolicyRule{NonResourceURLs: []string{"/healthz/*"}, Verbs: []string{"get"}}, Request{Verb: "get", Path: "/healthz/etcd"}, true},
		{"url star", rbacv1.PolicyRule{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}}, Request{Verb: "post", Path: "/anything"}, true},
		{"url rule never matches a resource", rbacv1.PolicyRule{NonResourceURLs: []string{"*"}, Verbs: []string{"*"}},
			Request{Verb: "get", ResourceRequest: true, Resource: "pods"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleAllows(&tc.rule, &tc.req); got != tc.want {
				t.Errorf("RuleAllows = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCovers(t *testing.T) {
	rule := func(groups, resources, verbs, names []string) rbacv1.PolicyRule {
		return rbacv1.PolicyRule{APIGroups: groups, Resources: resources, Verbs: verbs, ResourceNames: names}
	}
	s := func(v ...string) []string { return v }
	tests := []struct {
		name         string
		owner, want  []rbacv1.PolicyRule
		covered      bool
		missingCount int
	}{
		{"same", []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get", "list"), nil)}, []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get"), nil)}, true, 0},
		{"split across rules", []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get"), nil), rule(s(""), s("pods"), s("list"), nil)},
			[]rbacv1.PolicyRule{rule(s(""), s("pods"), s("get", "list"), nil)}, true, 0},
		{"missing verb", []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get"), nil)}, []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get", "delete"), nil)}, false, 1},
		{"wildcard owner", []rbacv1.PolicyRule{rule(s("*"), s("*"), s("*"), nil)}, []rbacv1.PolicyRule{rule(s("apps"), s("deployments/scale"), s("update"), s("x"))}, true, 0},
		{"*/subresource owner", []rbacv1.PolicyRule{rule(s("apps"), s("*/scale"), s("update"), nil)}, []rbacv1.PolicyRule{rule(s("apps"), s("deployments/scale"), s("update"), nil)}, true, 0},
		{"named owner does not cover unnamed", []rbacv1.PolicyRule{rule(s(""), s("secrets"), s("get"), s("a"))}, []rbacv1.PolicyRule{rule(s(""), s("secrets"), s("get"), nil)}, false, 1},
		{"unnamed owner covers named", []rbacv1.PolicyRule{rule(s(""), s("secrets"), s("get"), nil)}, []rbacv1.PolicyRule{rule(s(""), s("secrets"), s("get"), s("a", "b"))}, true, 0},
		{"literal star is not a wildcard in the servant", []rbacv1.PolicyRule{rule(s(""), s("pods"), s("get"), nil)}, []rbacv1.PolicyRule{rule(s(""), s("*"), s("get"), nil)}, false, 1},
		{"urls", []rbacv1.PolicyRule{{NonResourceURLs: s("/metrics*"), Verbs: s("get")}}, []rbacv1.PolicyRule{{NonResourceURLs: s("/metrics", "/metrics/x", "/other"), Verbs: s("get")}}, false, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			covered, missing := Covers(tc.owner, tc.want)
			if covered != tc.covered || len(missing) != tc.missingCount {
				t.Errorf("Covers = %v with %d missing (%v), want %v with %d", covered, len(missing), missing, tc.covered, tc.missingCount)
			}
		})
	}
}

func TestCompactString(t *testing.T) {
	got := compactString(compact([]rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"get"}},
		{APIGroups: []string{""}, Resources: []string{"secrets"}, Verbs: []string{"list"}},
	})[0])
	if want := `{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
