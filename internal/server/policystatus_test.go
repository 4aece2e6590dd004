package server_test

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestPolicyStatusFollowsControllers: kapi writes ValidatingAdmissionPolicies'
// status.typeChecking only while it runs kube-controller-manager's
// validatingadmissionpolicy-status-controller itself. With the controllers off (a
// cluster whose kube-controller-manager writes that status) a status written by
// someone else stays as written; kapi rewriting it undid the controller's warnings.
func TestPolicyStatusFollowsControllers(t *testing.T) {
	badExpression := admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{Operations: []admissionregistrationv1.OperationType{"CREATE"},
					Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}}}},
			Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name ==", Message: "m"}}}}
	external := &admissionregistrationv1.TypeChecking{ExpressionWarnings: []admissionregistrationv1.ExpressionWarning{
		{FieldRef: "spec.validations[0].expression", Warning: "written by kube-controller-manager"}}}
	for _, tc := range []struct {
		name        string
		controllers []string
		// kapiWrites is whether kapi reports the expression that does not compile.
		kapiWrites bool
	}{
		{"default controllers", nil, true},
		{"all controllers off", []string{}, false},
		{"this controller off", []string{"*", "-validatingadmissionpolicy-status-controller"}, false},
		{"by its short name", []string{"validatingadmissionpolicy-status"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = tc.controllers })
			vaps := kubernetes.NewForConfigOrDie(in.Config).AdmissionregistrationV1().ValidatingAdmissionPolicies()
			ctx := context.Background()
			p, err := vaps.Create(ctx, badExpression.DeepCopy(), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc.kapiWrites {
				deadline := time.Now().Add(10 * time.Second)
				for p.Status.TypeChecking == nil && time.Now().Before(deadline) {
					time.Sleep(50 * time.Millisecond)
					if p, err = vaps.Get(ctx, "p", metav1.GetOptions{}); err != nil {
						t.Fatal(err)
					}
				}
				if p.Status.TypeChecking == nil || len(p.Status.TypeChecking.ExpressionWarnings) != 1 {
					t.Fatalf("kapi's status controller wrote %+v, want one warning", p.Status.TypeChecking)
				}
				return
			}
			p.Status = admissionregistrationv1.ValidatingAdmissionPolicyStatus{ObservedGeneration: p.Generation, TypeChecking: external}
			if _, err := vaps.UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			// kapi's writer looks every 100 ms; give it ten chances to overwrite.
			time.Sleep(time.Second)
			got, err := vaps.Get(ctx, "p", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if tc := got.Status.TypeChecking; tc == nil || len(tc.ExpressionWarnings) != 1 || tc.ExpressionWarnings[0].Warning != "written by kube-controller-manager" {
				t.Errorf("status.typeChecking = %+v, want the one written by the other controller", tc)
			}
		})
	}
}
