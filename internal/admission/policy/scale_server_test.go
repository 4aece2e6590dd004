package policy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestScaleAdmittedAsScale checks that a write of deployments/scale reaches
// admission as upstream's: an autoscaling/v1 Scale (object and oldObject), kind
// Scale, resource deployments, subresource scale — and that a mutation of the Scale
// lands in the deployment.
func TestScaleAdmittedAsScale(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(in.Config)
	labels := map[string]string{"app": "scaled"}
	d := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "scaled"}, Spec: appsv1.DeploymentSpec{
		Replicas: new(int32), Selector: &metav1.LabelSelector{MatchLabels: labels},
		Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}}}
	if _, err := cs.AppsV1().Deployments("default").Create(ctx, d, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	fail := admissionregistrationv1.Fail
	match := &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Update},
			Rule: admissionregistrationv1.Rule{APIGroups: []string{"apps"}, APIVersions: []string{"v1"},
				Resources: []string{"deployments/scale"}},
		}}}}
	policies := cs.AdmissionregistrationV1()
	vap := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "scale-limit"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: match, FailurePolicy: &fail,
			Validations: []admissionregistrationv1.Validation{{
				Expression: `object.kind == "Scale" && oldObject.kind == "Scale" && request.kind.kind == "Scale" && ` +
					`request.subResource == "scale" && object.spec.replicas <= 5`,
				MessageExpression: `"saw " + object.kind + " " + string(object.spec.replicas) + " was " + string(has(oldObject.spec.replicas) ? oldObject.spec.replicas : 0)`}}}}
	if _, err := policies.ValidatingAdmissionPolicies().Create(ctx, vap, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := policies.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scale-limit"}, Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{
			PolicyName: "scale-limit", ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}},
		metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	scaleWith := func(n int32, opts metav1.UpdateOptions) error {
		_, err := cs.AppsV1().Deployments("default").UpdateScale(ctx, "scaled",
			&autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "scaled"}, Spec: autoscalingv1.ScaleSpec{Replicas: n}}, opts)
		return err
	}
	scale := func(n int32) error { return scaleWith(n, metav1.UpdateOptions{}) }
	// The policy takes effect within a second or so; until then the tries are dry
	// runs, so that one let through does not scale the deployment (admission
	// policies judge dry runs too).
	var denied error
	if err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		denied = scaleWith(10, metav1.UpdateOptions{DryRun: []string{metav1.DryRunAll}})
		return denied != nil, nil
	}); err != nil {
		t.Fatalf("scaling to 10 was never refused")
	}
	if want := "saw Scale 10 was 0"; !strings.Contains(denied.Error(), want) {
		t.Fatalf("refusal %q lacks %q", denied, want)
	}

	mutation := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "scale-plus-one"},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: match, FailurePolicy: &fail,
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: `object.kind == "Scale" ? ` +
					`[JSONPatch{op: "replace", path: "/spec/replicas", value: object.spec.replicas + 1}] : []`}}}}}
	if _, err := policies.MutatingAdmissionPolicies().Create(ctx, mutation, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := policies.MutatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicyBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "scale-plus-one"},
		Spec:       admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "scale-plus-one"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		request int32
		want    int32 // replicas of the deployment afterwards
		denied  string
	}{
		{"the mutated Scale lands in the deployment", 2, 3, ""},
		{"validation sees the mutated Scale", 5, 0, "saw Scale 6 was 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
				err := scale(tc.request)
				if tc.denied != "" {
					return err != nil && strings.Contains(err.Error(), tc.denied), nil
				}
				if err != nil {
					return false, err
				}
				got, err := cs.AppsV1().Deployments("default").Get(ctx, "scaled", metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				return *got.Spec.Replicas == tc.want, nil
			})
			if err != nil {
				t.Fatalf("scale to %d: %v", tc.request, err)
			}
		})
	}
}
