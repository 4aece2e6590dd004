package webhook

import (
	"context"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestRuleMatches(t *testing.T) {
	pods := schema.GroupVersionResource{Version: "v1", Resource: "pods"}
	deploys := schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	namespaces := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	rule := func(resources []string, scope admissionregistrationv1.ScopeType, ops ...admissionregistrationv1.OperationType) admissionregistrationv1.RuleWithOperations {
		if len(ops) == 0 {
			ops = []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll}
		}
		return admissionregistrationv1.RuleWithOperations{Operations: ops,
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"*"}, APIVersions: []string{"*"}, Resources: resources, Scope: &scope}}
	}
	cases := []struct {
		name string
		rule admissionregistrationv1.RuleWithOperations
		req  Request
		want bool
	}{
		{"star matches a resource", rule([]string{"*"}, "*"), Request{Operation: "CREATE", Resource: pods, Namespace: "a"}, true},
		{"star skips subresources", rule([]string{"*"}, "*"), Request{Operation: "UPDATE", Resource: pods, Subresource: "status", Namespace: "a"}, false},
		{"star/star matches subresources", rule([]string{"*/*"}, "*"), Request{Operation: "UPDATE", Resource: pods, Subresource: "status", Namespace: "a"}, true},
		{"pods/star matches pods/status", rule([]string{"pods/*"}, "*"), Request{Operation: "UPDATE", Resource: pods, Subresource: "status", Namespace: "a"}, true},
		{"pods/star also matches pods, as upstream", rule([]string{"pods/*"}, "*"), Request{Operation: "UPDATE", Resource: pods, Namespace: "a"}, true},
		{"star/scale matches deployments/scale", rule([]string{"*/scale"}, "*"), Request{Operation: "UPDATE", Resource: deploys, Subresource: "scale", Namespace: "a"}, true},
		{"star/scale skips pods/status", rule([]string{"*/scale"}, "*"), Request{Operation: "UPDATE", Resource: pods, Subresource: "status", Namespace: "a"}, false},
		{"operation filter", rule([]string{"*"}, "*", admissionregistrationv1.Delete), Request{Operation: "CREATE", Resource: pods, Namespace: "a"}, false},
		{"operation listed", rule([]string{"*"}, "*", admissionregistrationv1.Create, admissionregistrationv1.Delete), Request{Operation: "DELETE", Resource: pods, Namespace: "a"}, true},
		{"namespaced scope skips cluster objects", rule([]string{"*"}, admissionregistrationv1.NamespacedScope), Request{Operation: "CREATE", Resource: deploys}, false},
		{"namespaced scope skips namespaces", rule([]string{"*"}, admissionregistrationv1.NamespacedScope), Request{Operation: "CREATE", Resource: namespaces, Namespace: "x"}, false},
		{"cluster scope takes namespaces", rule([]string{"*"}, admissionregistrationv1.ClusterScope), Request{Operation: "CREATE", Resource: namespaces, Namespace: "x"}, true},
		{"cluster scope skips namespaced", rule([]string{"*"}, admissionregistrationv1.ClusterScope), Request{Operation: "CREATE", Resource: pods, Namespace: "x"}, false},
		{"other group", admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"*"},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"*"}, Resources: []string{"*"}}}, Request{Operation: "CREATE", Resource: pods}, false},
		{"other version", admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"*"},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1beta1"}, Resources: []string{"*"}}}, Request{Operation: "CREATE", Resource: deploys}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := RuleMatches(tc.rule, tc.req); got != tc.want {
				t.Errorf("RuleMatches = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSelectors(t *testing.T) {
	nsGet := func(_ context.Context, name string) (*corev1.Namespace, error) {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"env": name}}}, nil
	}
	prod := &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
	labelled := func(l map[string]string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Labels: l}}
	}
	cms := schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	nss := schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	cases := []struct {
		name        string
		sel         *metav1.LabelSelector
		subject     Subject
		wantNS      bool
		wantObjects bool
	}{
		{"nil selector matches", nil, Subject{Request: Request{Resource: cms, Namespace: "dev"}}, true, true},
		{"namespace labels", prod, Subject{Request: Request{Resource: cms, Namespace: "prod"}, Object: labelled(nil)}, true, false},
		{"other namespace", prod, Subject{Request: Request{Resource: cms, Namespace: "dev"}, Object: labelled(map[string]string{"env": "prod"})}, false, true},
		{"cluster-scoped object always matches namespaceSelector", prod, Subject{Request: Request{Resource: schema.GroupVersionResource{Version: "v1", Resource: "nodes"}}}, true, false},
		{"a namespace is matched by its own labels", prod, Subject{Request: Request{Resource: nss}, Object: labelled(map[string]string{"env": "prod"})}, true, true},
		{"old object labels match on delete", prod, Subject{Request: Request{Resource: cms, Namespace: "dev"}, OldObject: labelled(map[string]string{"env": "prod"})}, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns, err := MatchNamespaceSelector(context.Background(), tc.sel, tc.subject, nsGet)
			if err != nil || ns != tc.wantNS {
				t.Errorf("namespace selector = %v, %v; want %v", ns, err, tc.wantNS)
			}
			obj, err := MatchObjectSelector(tc.sel, tc.subject)
			if err != nil || obj != tc.wantObjects {
				t.Errorf("object selector = %v, %v; want %v", obj, err, tc.wantObjects)
			}
		})
	}
}
