package validation

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"slices"
	"testing"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	resourcev1 "k8s.io/api/resource/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// causes renders errors as "<type> <field>" for compact comparisons.
func causes(errs field.ErrorList) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, string(e.Type)+" "+e.Field)
	}
	return out
}

func testCSRPEM(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: "a"}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

type platformValidationCase struct {
	name string
	obj  runtime.Object
	fn   func(runtime.Object) field.ErrorList
	want []string
}

func runPlatformCases(t *testing.T, cases []platformValidationCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := causes(tc.fn(tc.obj))
			if !slices.Equal(got, tc.want) {
				t.Errorf("got %q\nwant %q\n%v", got, tc.want, tc.fn(tc.obj))
			}
		})
	}
}

func TestValidateCertificates(t *testing.T) {
	req := testCSRPEM(t)
	csr := func(mut func(*certificatesv1.CertificateSigningRequest)) runtime.Object {
		c := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "any:name/ok"},
			Spec: certificatesv1.CertificateSigningRequestSpec{Request: req, SignerName: "example.com/signer",
				Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}}}
		mut(c)
		return c
	}
	runPlatformCases(t, []platformValidationCase{
		{"valid csr", csr(func(*certificatesv1.CertificateSigningRequest) {}), ValidateCertificateSigningRequest, []string{}},
		{"request not pem", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Request = []byte("x") }),
			ValidateCertificateSigningRequest, []string{"FieldValueInvalid spec.request"}},
		{"usages required", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.Usages = nil }),
			ValidateCertificateSigningRequest, []string{"FieldValueRequired spec.usages"}},
		{"unknown and duplicate usages", csr(func(c *certificatesv1.CertificateSigningRequest) {
			c.Spec.Usages = []certificatesv1.KeyUsage{"bogus", certificatesv1.UsageClientAuth, certificatesv1.UsageClientAuth}
		}), ValidateCertificateSigningRequest, []string{"FieldValueNotSupported spec.usages[0]", "FieldValueDuplicate spec.usages[2]"}},
		{"signer required", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "" }),
			ValidateCertificateSigningRequest, []string{"FieldValueRequired spec.signerName"}},
		{"signer without path", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "example.com" }),
			ValidateCertificateSigningRequest, []string{"FieldValueInvalid spec.signerName"}},
		{"signer single-label domain", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "example/s" }),
			ValidateCertificateSigningRequest, []string{"FieldValueInvalid spec.signerName"}},
		{"legacy signer", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.SignerName = "kubernetes.io/legacy-unknown" }),
			ValidateCertificateSigningRequest, []string{"FieldValueInvalid spec.signerName"}},
		{"short lifetime", csr(func(c *certificatesv1.CertificateSigningRequest) { c.Spec.ExpirationSeconds = ptr(int32(60)) }),
			ValidateCertificateSigningRequest, []string{"FieldValueInvalid spec.expirationSeconds"}},
		{"trust bundle without anchors", &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "b"}},
			ValidateClusterTrustBundle, []string{"FieldValueInvalid spec.trustBundle"}},
		{"trust bundle name must carry the signer", &certificatesv1.ClusterTrustBundle{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec: certificatesv1.ClusterTrustBundleSpec{SignerName: "example.com/s", TrustBundle: "x"}},
			ValidateClusterTrustBundle, []string{"FieldValueInvalid metadata.name", "FieldValueInvalid spec.trustBundle"}},
		{"pod certificate request identity", &certificatesv1.PodCertificateRequest{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "d"},
			Spec: certificatesv1.PodCertificateRequestSpec{SignerName: "example.com/s", MaxExpirationSeconds: ptr(int32(86400))}},
			ValidatePodCertificateRequest, []string{
				"FieldValueInvalid spec.podName", "FieldValueInvalid spec.podUID",
				"FieldValueInvalid spec.serviceAccountName", "FieldValueInvalid spec.serviceAccountUID",
				"FieldValueInvalid spec.nodeName", "FieldValueInvalid spec.nodeUID", "FieldValueInvalid spec"}},
	})
}

func TestValidateCSRUpdates(t *testing.T) {
	old := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "c", ResourceVersion: "1"},
		Spec: certificatesv1.CertificateSigningRequestSpec{Request: testCSRPEM(t), SignerName: "example.com/s",
			Usages: []certificatesv1.KeyUsage{certificatesv1.UsageClientAuth}}}
	approved := old.DeepCopy()
	approved.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: "True"}}
	both := approved.DeepCopy()
	both.Status.Conditions = append(both.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{Type: certificatesv1.CertificateDenied, Status: "True"})
	falseApproval := old.DeepCopy()
	falseApproval.Status.Conditions = []certificatesv1.CertificateSigningRequestCondition{{Type: certificatesv1.CertificateApproved, Status: "False"}}
	cert := approved.DeepCopy()
	cert.Status.Certificate = []byte("garbage")
	tests := []struct {
		name     string
		obj, old *certificatesv1.CertificateSigningRequest
		fn       func(obj, old runtime.Object) field.ErrorList
		want     []string
	}{
		{"status may not approve", approved, old, ValidateCertificateSigningRequestStatusUpdate, []string{"FieldValueForbidden status.conditions"}},
		{"approval may approve", approved, old, ValidateCertificateSigningRequestApprovalUpdate, []string{}},
		{"approval may not remove", old, approved, ValidateCertificateSigningRequestApprovalUpdate, []string{"FieldValueForbidden status.conditions"}},
		{"approved and denied exclusive", both, approved, ValidateCertificateSigningRequestApprovalUpdate, []string{"FieldValueInvalid status.conditions"}},
		{"approval status must be True", falseApproval, old, ValidateCertificateSigningRequestApprovalUpdate, []string{"FieldValueNotSupported status.conditions[0].status"}},
		{"certificate must be PEM", cert, approved, ValidateCertificateSigningRequestStatusUpdate, []string{"FieldValueInvalid status.certificate"}},
		{"main resource may not set certificate", cert, approved, ValidateCertificateSigningRequestUpdate,
			[]string{"FieldValueInvalid status.certificate", "FieldValueForbidden status.certificate"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := causes(tc.fn(tc.obj, tc.old)); !slices.Equal(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestValidateWebhookConfigurations(t *testing.T) {
	none := admissionregistrationv1.SideEffectClassNone
	some := admissionregistrationv1.SideEffectClassSome
	url := "https://example.com/x"
	hook := func(mut func(*admissionregistrationv1.ValidatingWebhook)) runtime.Object {
		w := admissionregistrationv1.ValidatingWebhook{Name: "a.example.com", SideEffects: &none,
			AdmissionReviewVersions: []string{"v1"}, ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url},
			Rules: []admissionregistrationv1.RuleWithOperations{{Operations: []admissionregistrationv1.OperationType{"CREATE"},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}
		mut(&w)
		return &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Webhooks: []admissionregistrationv1.ValidatingWebhook{w}}
	}
	runPlatformCases(t, []platformValidationCase{
		{"valid", hook(func(*admissionregistrationv1.ValidatingWebhook) {}), ValidateValidatingWebhookConfiguration, []string{}},
		{"name not fully qualified", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.Name = "example.com" }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueInvalid webhooks[0].name"}},
		{"url and service", hook(func(w *admissionregistrationv1.ValidatingWebhook) {
			w.ClientConfig.Service = &admissionregistrationv1.ServiceReference{Name: "s", Namespace: "n"}
		}), ValidateValidatingWebhookConfiguration, []string{"FieldValueRequired webhooks[0].clientConfig"}},
		{"http url", hook(func(w *admissionregistrationv1.ValidatingWebhook) { u := "http://example.com"; w.ClientConfig.URL = &u }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueInvalid webhooks[0].clientConfig.url"}},
		{"side effects required", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.SideEffects = nil }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueRequired webhooks[0].sideEffects"}},
		{"side effects Some refused", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.SideEffects = &some }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueNotSupported webhooks[0].sideEffects"}},
		{"review versions required", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.AdmissionReviewVersions = nil }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueRequired webhooks[0].admissionReviewVersions"}},
		{"timeout out of range", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.TimeoutSeconds = ptr(int32(31)) }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueInvalid webhooks[0].timeoutSeconds"}},
		{"rule without operations and bad scope", hook(func(w *admissionregistrationv1.ValidatingWebhook) {
			s := admissionregistrationv1.ScopeType("Everywhere")
			w.Rules[0].Operations, w.Rules[0].Scope = nil, &s
		}), ValidateValidatingWebhookConfiguration, []string{"FieldValueRequired webhooks[0].rules[0].operations", "FieldValueNotSupported webhooks[0].rules[0].scope"}},
		{"wildcard resources", hook(func(w *admissionregistrationv1.ValidatingWebhook) { w.Rules[0].Resources = []string{"*/*", "pods"} }),
			ValidateValidatingWebhookConfiguration, []string{"FieldValueInvalid webhooks[0].rules[0].resources"}},
	})
}

func TestValidateAdmissionPolicies(t *testing.T) {
	fail := admissionregistrationv1.Fail
	eq := admissionregistrationv1.Equivalent
	match := &admissionregistrationv1.MatchResources{MatchPolicy: &eq, NamespaceSelector: &metav1.LabelSelector{}, ObjectSelector: &metav1.LabelSelector{},
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{"DELETE"},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}}}}}}
	runPlatformCases(t, []platformValidationCase{
		{"policy needs validations", &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: &fail, MatchConstraints: match}},
			ValidateValidatingAdmissionPolicy, []string{"FieldValueRequired spec.validations", "FieldValueRequired spec.auditAnnotations"}},
		{"mutating policy may not match DELETE", &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "p"},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{FailurePolicy: &fail, MatchConstraints: match, ReinvocationPolicy: "Never",
				Mutations: []admissionregistrationv1.Mutation{{PatchType: "JSONPatch", JSONPatch: &admissionregistrationv1.JSONPatch{Expression: "[]"}}}}},
			ValidateMutatingAdmissionPolicy, []string{"FieldValueNotSupported spec.matchConstraints.resourceRules.operations"}},
		{"binding needs actions and a policy", &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "b"},
			Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{}}},
			ValidateValidatingAdmissionPolicyBinding, []string{"FieldValueRequired spec.policyName", "FieldValueRequired spec.paramRef",
				"FieldValueRequired spec.paramRef.parameterNotFoundAction", "FieldValueRequired spec.validationActions"}},
	})
}

func TestValidateFlowControl(t *testing.T) {
	fs := func(name string, prec int32) runtime.Object {
		return &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: flowcontrolv1.FlowSchemaSpec{
			MatchingPrecedence: prec, PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "global-default"}}}
	}
	queued := func(name string, t flowcontrolv1.PriorityLevelEnablement, q flowcontrolv1.QueuingConfiguration) runtime.Object {
		return &flowcontrolv1.PriorityLevelConfiguration{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
			Type: t, Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{NominalConcurrencyShares: ptr(int32(30)),
				LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: &q}}}}
	}
	good := flowcontrolv1.QueuingConfiguration{Queues: 64, HandSize: 8, QueueLengthLimit: 50}
	runPlatformCases(t, []platformValidationCase{
		{"valid schema", fs("s", 1000), ValidateFlowSchema, []string{}},
		{"precedence zero", fs("s", 0), ValidateFlowSchema, []string{"FieldValueInvalid spec.matchingPrecedence"}},
		{"precedence too high", fs("s", 10001), ValidateFlowSchema, []string{"FieldValueInvalid spec.matchingPrecedence"}},
		{"precedence 1 only for exempt", fs("s", 1), ValidateFlowSchema, []string{"FieldValueInvalid spec.matchingPrecedence"}},
		{"exempt may use 1", fs("exempt", 1), ValidateFlowSchema, []string{}},
		{"rule without subjects", &flowcontrolv1.FlowSchema{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: flowcontrolv1.FlowSchemaSpec{
			MatchingPrecedence: 5, PriorityLevelConfiguration: flowcontrolv1.PriorityLevelConfigurationReference{Name: "x"},
			Rules: []flowcontrolv1.PolicyRulesWithSubjects{{}}}}, ValidateFlowSchema,
			[]string{"FieldValueRequired spec.rules[0].subjects", "FieldValueRequired spec.rules[0]"}},
		{"valid level", queued("l", flowcontrolv1.PriorityLevelEnablementLimited, good), ValidatePriorityLevelConfiguration, []string{}},
		{"hand larger than queues", queued("l", flowcontrolv1.PriorityLevelEnablementLimited, flowcontrolv1.QueuingConfiguration{Queues: 4, HandSize: 8, QueueLengthLimit: 1}),
			ValidatePriorityLevelConfiguration, []string{"FieldValueInvalid spec.limited.limitResponse.queuing.handSize"}},
		{"exempt type needs exempt name", queued("l", flowcontrolv1.PriorityLevelEnablementExempt, good), ValidatePriorityLevelConfiguration,
			[]string{"FieldValueInvalid spec.type", "FieldValueForbidden spec.limited"}},
	})
}

func TestValidateResourceGroup(t *testing.T) {
	node := "n1"
	runPlatformCases(t, []platformValidationCase{
		{"claim request needs exactly or firstAvailable", &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d"},
			Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{Name: "r"}}}}},
			ValidateResourceClaim, []string{"FieldValueRequired spec.devices.requests[0]"}},
		{"exact request needs a class and count", &resourcev1.ResourceClaim{ObjectMeta: metav1.ObjectMeta{Name: "c", Namespace: "d"},
			Spec: resourcev1.ResourceClaimSpec{Devices: resourcev1.DeviceClaim{Requests: []resourcev1.DeviceRequest{{Name: "r",
				Exactly: &resourcev1.ExactDeviceRequest{AllocationMode: resourcev1.DeviceAllocationModeExactCount}}}}}},
			ValidateResourceClaim, []string{"FieldValueRequired spec.devices.requests[0].exactly.deviceClassName", "FieldValueInvalid spec.devices.requests[0].exactly.count"}},
		{"slice needs driver, pool and one node field", &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "s"},
			Spec: resourcev1.ResourceSliceSpec{}}, ValidateResourceSlice,
			[]string{"FieldValueRequired spec.driver", "FieldValueInvalid spec.driver", "FieldValueRequired spec.pool.name", "FieldValueInvalid spec.pool.resourceSliceCount", "FieldValueRequired spec"}},
		{"valid slice", &resourcev1.ResourceSlice{ObjectMeta: metav1.ObjectMeta{Name: "s"}, Spec: resourcev1.ResourceSliceSpec{
			Driver: "d.example.com", NodeName: &node, Pool: resourcev1.ResourcePool{Name: "p", ResourceSliceCount: 1},
			Devices: []resourcev1.Device{{Name: "gpu-0"}}}}, ValidateResourceSlice, []string{}},
		{"taint effect required", &resourcev1.DeviceTaintRule{ObjectMeta: metav1.ObjectMeta{Name: "t"},
			Spec: resourcev1.DeviceTaintRuleSpec{Taint: resourcev1.DeviceTaint{Key: "example.com/k"}}}, ValidateDeviceTaintRule,
			[]string{"FieldValueRequired spec.taint.effect"}},
		{"class selector needs cel", &resourcev1.DeviceClass{ObjectMeta: metav1.ObjectMeta{Name: "c"},
			Spec: resourcev1.DeviceClassSpec{Selectors: []resourcev1.DeviceSelector{{}}}}, ValidateDeviceClass,
			[]string{"FieldValueRequired spec.selectors[0].cel"}},
	})
}
