package rbacpolicy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
)

func TestUncovered(t *testing.T) {
	podsGet := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{""}, Resources: []string{"pods"}}
	tests := []struct {
		name       string
		have, want []rbacv1.PolicyRule
		missing    []rbacv1.PolicyRule
	}{
		{name: "identical", have: policyRules(allow("get", "list").in(coreGroup).on("pods")),
			want: policyRules(allow("get", "list").in(coreGroup).on("pods"))},
		{name: "nothing stored", want: policyRules(allow("get").in(coreGroup).on("pods")), missing: []rbacv1.PolicyRule{podsGet}},
		{name: "one verb short", have: policyRules(allow("list").in(coreGroup).on("pods")),
			want: policyRules(allow("get", "list").in(coreGroup).on("pods")), missing: []rbacv1.PolicyRule{podsGet}},
		{name: "split over two rules", have: policyRules(allow("get").in(coreGroup).on("pods"), allow("list").in(coreGroup).on("pods")),
			want: policyRules(allow("get", "list").in(coreGroup).on("pods"))},
		{name: "wildcards", have: policyRules(allow("*").in("*").on("*")),
			want: policyRules(allow("get").in(appsGroup).on("deployments/scale").named("x"))},
		{name: "subresource wildcard", have: policyRules(allow("get").in("*").on("*/scale")),
			want: policyRules(allow("get").in(appsGroup).on("deployments/scale"))},
		{name: "subresource wildcard is not the resource", have: policyRules(allow("get").in(coreGroup).on("*/scale")),
			want: policyRules(allow("get").in(coreGroup).on("pods")), missing: []rbacv1.PolicyRule{podsGet}},
		{name: "names narrow the stored rule", have: policyRules(allow("get").in(coreGroup).on("pods").named("a")),
			want: policyRules(allow("get").in(coreGroup).on("pods")), missing: []rbacv1.PolicyRule{podsGet}},
		{name: "names covered by an unnamed rule", have: policyRules(allow("get").in(coreGroup).on("pods")),
			want: policyRules(allow("get").in(coreGroup).on("pods").named("a", "b"))},
		{name: "URL prefix", have: policyRules(allow("get").at("/healthz*")),
			want: policyRules(allow("get").at("/healthz", "/healthz/etcd"))},
		{name: "URL not covered", have: policyRules(allow("get").at("/healthz")),
			want:    policyRules(allow("get").at("/livez")),
			missing: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/livez"}}}},
		{name: "resource rule does not cover a URL", have: policyRules(allow("*").in("*").on("*")),
			want:    policyRules(allow("get").at("/version")),
			missing: []rbacv1.PolicyRule{{Verbs: []string{"get"}, NonResourceURLs: []string{"/version"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := uncovered(tc.have, tc.want)
			if diff := cmp.Diff(tc.missing, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("uncovered (-want +got):\n%s", diff)
			}
		})
	}
}
