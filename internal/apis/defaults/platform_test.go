package defaults

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func platPtr[T any](v T) *T { return &v }

func TestPlatformDefaults(t *testing.T) {
	fixed := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	draNow = func() time.Time { return fixed }
	t.Cleanup(func() { draNow = time.Now })
	s := runtime.NewScheme()
	Register(s)

	url := "https://example.com"
	rule := admissionregistrationv1.RuleWithOperations{Rule: admissionregistrationv1.Rule{Resources: []string{"pods"}}}
	defaultedRule := admissionregistrationv1.RuleWithOperations{Rule: admissionregistrationv1.Rule{Resources: []string{"pods"}, Scope: platPtr(admissionregistrationv1.AllScopes)}}
	tests := []struct {
		name    string
		in, out runtime.Object
	}{
		{
			name: "validating webhook",
			in: &admissionregistrationv1.ValidatingWebhookConfiguration{Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				ClientConfig: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Name: "s"}},
				Rules:        []admissionregistrationv1.RuleWithOperations{rule}}}},
			out: &admissionregistrationv1.ValidatingWebhookConfiguration{Webhooks: []admissionregistrationv1.ValidatingWebhook{{
				ClientConfig:      admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Name: "s", Port: platPtr(int32(443))}},
				Rules:             []admissionregistrationv1.RuleWithOperations{defaultedRule},
				FailurePolicy:     platPtr(admissionregistrationv1.Fail),
				MatchPolicy:       platPtr(admissionregistrationv1.Equivalent),
				NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{},
				TimeoutSeconds: platPtr(int32(10))}}},
		},
		{
			name: "mutating webhook keeps explicit values",
			in: &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
				ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url}, FailurePolicy: platPtr(admissionregistrationv1.Ignore)}}},
			out: &admissionregistrationv1.MutatingWebhookConfiguration{Webhooks: []admissionregistrationv1.MutatingWebhook{{
				ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url}, FailurePolicy: platPtr(admissionregistrationv1.Ignore),
				MatchPolicy: platPtr(admissionregistrationv1.Equivalent), NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{},
				TimeoutSeconds: platPtr(int32(10)), ReinvocationPolicy: platPtr(admissionregistrationv1.NeverReinvocationPolicy)}}},
		},
		{
			name: "validating admission policy",
			in: &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				MatchConstraints: &admissionregistrationv1.MatchResources{}}},
			out: &admissionregistrationv1.ValidatingAdmissionPolicy{Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				FailurePolicy: platPtr(admissionregistrationv1.Fail),
				MatchConstraints: &admissionregistrationv1.MatchResources{MatchPolicy: platPtr(admissionregistrationv1.Equivalent),
					NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{}}}},
		},
		{
			name: "flow schema precedence",
			in:   &flowcontrolv1.FlowSchema{},
			out:  &flowcontrolv1.FlowSchema{Spec: flowcontrolv1.FlowSchemaSpec{MatchingPrecedence: 1000}},
		},
		{
			name: "limited priority level with queuing",
			in: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				LimitResponse: flowcontrolv1.LimitResponse{Queuing: &flowcontrolv1.QueuingConfiguration{}}}}},
			out: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: platPtr(int32(30)), LendablePercent: platPtr(int32(0)),
				LimitResponse: flowcontrolv1.LimitResponse{Queuing: &flowcontrolv1.QueuingConfiguration{HandSize: 8, Queues: 64, QueueLengthLimit: 50}}}}},
		},
		{
			name: "limited priority level keeps explicit zero shares",
			in: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: platPtr(int32(0))}}},
			out: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
				NominalConcurrencyShares: platPtr(int32(0)), LendablePercent: platPtr(int32(0))}}},
		},
		{
			name: "exempt priority level",
			in:   &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{}}},
			out: &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Exempt: &flowcontrolv1.ExemptPriorityLevelConfiguration{
				NominalConcurrencyShares: platPtr(int32(0)), LendablePercent: platPtr(int32(0))}}},
		},
		{
			name: "pod certificate request lifetime",
			in:   &certificatesv1.PodCertificateRequest{},
			out:  &certificatesv1.PodCertificateRequest{Spec: certificatesv1.PodCertificateRequestSpec{MaxExpirationSeconds: platPtr(int32(86400))}},
		},
		{
			name: "claim requests",
			in: &resourcev1.ResourceClaim{Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
				{Exactly: &resourcev1.ExactDeviceRequest{Tolerations: []resourcev1.DeviceToleration{{}}}},
				{FirstAvailable: []resourcev1.DeviceSubRequest{{AllocationMode: resourcev1.DeviceAllocationModeAll}}},
			}}}},
			out: &resourcev1.ResourceClaim{Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{
				{Exactly: &resourcev1.ExactDeviceRequest{AllocationMode: resourcev1.DeviceAllocationModeExactCount, Count: 1,
					Tolerations: []resourcev1.DeviceToleration{{Operator: resourcev1.DeviceTolerationOpEqual}}}},
				{FirstAvailable: []resourcev1.DeviceSubRequest{{AllocationMode: resourcev1.DeviceAllocationModeAll}}},
			}}}},
		},
		{
			name: "taint rule time added",
			in:   &resourcev1.DeviceTaintRule{},
			out:  &resourcev1.DeviceTaintRule{Spec: resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{TimeAdded: &metav1.Time{Time: fixed}}}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s.Default(tc.in)
			if diff := cmp.Diff(tc.out, tc.in); diff != "" {
				t.Errorf("defaults (-want +got):\n%s", diff)
			}
		})
	}
}
