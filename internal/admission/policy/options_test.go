package policy

import (
	"context"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// TestRequestOptions checks that expressions read request.options, the request's
// own options, as upstream's policies do.
func TestRequestOptions(t *testing.T) {
	e := startEnv(t)
	e.mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}})
	for _, name := range []string{"opt-u", "opt-p", "opt-d"} {
		e.mustCreate(t, cm("dev", name, nil))
	}
	ctx := context.Background()
	match := configMapsRule()
	match.ResourceRules[0].Operations = append(match.ResourceRules[0].Operations, admissionregistrationv1.Delete)
	policy := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "options"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: match,
			Validations: []admissionregistrationv1.Validation{{Expression: "!request.name.startsWith('opt-')",
				MessageExpression: "request.options.kind + ' ' + " +
					"(has(request.options.fieldManager) ? request.options.fieldManager : '-') + ' ' + " +
					"(has(request.options.gracePeriodSeconds) ? string(request.options.gracePeriodSeconds) : '-')"}}}}
	if _, err := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "options"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "options",
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}
	if _, err := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	e.waitBound(t, 1)
	cms := e.Client.CoreV1().ConfigMaps("dev")
	cases := []struct {
		name    string
		do      func() error
		wantMsg string
	}{
		{"create", func() error {
			_, err := cms.Create(ctx, cm("dev", "opt-c", nil), metav1.CreateOptions{FieldManager: "m1"})
			return err
		}, "denied request: CreateOptions m1 -"},
		{"update", func() error {
			_, err := cms.Update(ctx, cm("dev", "opt-u", map[string]string{"a": "b"}), metav1.UpdateOptions{FieldManager: "m2"})
			return err
		}, "denied request: UpdateOptions m2 -"},
		{"patch is admitted with UpdateOptions", func() error {
			_, err := cms.Patch(ctx, "opt-p", types.MergePatchType, []byte(`{"data":{"a":"b"}}`), metav1.PatchOptions{FieldManager: "m3"})
			return err
		}, "denied request: UpdateOptions m3 -"},
		{"delete", func() error {
			return cms.Delete(ctx, "opt-d", metav1.DeleteOptions{GracePeriodSeconds: ptr(int64(9))})
		}, "denied request: DeleteOptions - 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkStatus(t, tc.do(), 422, tc.wantMsg, metav1.StatusReasonInvalid)
		})
	}
}
