package policy

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

func TestMutatingAdmissionPolicy(t *testing.T) {
	var m *Mutating
	e := admissiontest.Start(t, func(ctx context.Context, ae *admissiontest.Env) endpoints.Admission {
		group := admissionregistrationv1.SchemeGroupVersion
		m = NewMutating(Config{
			Scheme: ae.Scheme, Resources: ae.Resources,
			Policies:   ae.Store(t, group.WithResource("mutatingadmissionpolicies")),
			Bindings:   ae.Store(t, group.WithResource("mutatingadmissionpolicybindings")),
			Namespaces: webhook.NamespacesFrom(ae.Store(t, schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})),
			Params: ParamsFrom(ae.Resources, func(gvr schema.GroupVersionResource) webhook.Reader {
				if st := ae.Stores[gvr]; st != nil {
					return st
				}
				return nil
			}),
		})
		m.Run(ctx)
		return m
	})
	ctx := context.Background()
	if err := m.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, cm("dev", "defaults", map[string]string{"team": "blue"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		mutations []admissionregistrationv1.Mutation
		failure   *admissionregistrationv1.FailurePolicyType
		paramRef  *admissionregistrationv1.ParamRef
		wantLabel string
		wantCode  int32
		wantMsg   string
	}{
		{name: "JSONPatch adds a label",
			mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{
				Expression: `[JSONPatch{op: "add", path: "/metadata/labels", value: {}}, JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("team"), value: "red"}]`}}},
			wantLabel: "red"},
		{name: "ApplyConfiguration sets a label from params",
			mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
				Expression: `Object{metadata: Object.metadata{labels: {"team": params.data.team}}}`}}},
			paramRef:  &admissionregistrationv1.ParamRef{Name: "defaults", ParameterNotFoundAction: ptr(admissionregistrationv1.DenyAction)},
			wantLabel: "blue"},
		{name: "a failing patch under Fail refuses",
			mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{
				Expression: `[JSONPatch{op: "remove", path: "/spec/nothere"}]`}}},
			wantCode: 403, wantMsg: "policy 'case' with binding 'case' denied request: JSON Patch"},
		{name: "a failing patch under Ignore admits",
			mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch, JSONPatch: &admissionregistrationv1.JSONPatch{
				Expression: `[JSONPatch{op: "remove", path: "/spec/nothere"}]`}}},
			failure: ptr(admissionregistrationv1.Ignore)},
	}
	policies := e.Client.AdmissionregistrationV1().MutatingAdmissionPolicies()
	bindings := e.Client.AdmissionregistrationV1().MutatingAdmissionPolicyBindings()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: configMapsRule(), Mutations: tc.mutations,
				FailurePolicy: tc.failure, ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy}
			if tc.paramRef != nil {
				spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
			}
			if _, err := policies.Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "case"}, Spec: spec}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := bindings.Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "case"},
				Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "case", ParamRef: tc.paramRef}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(5 * time.Second)
			for len(m.current()) != 1 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			defer func() {
				_ = bindings.Delete(ctx, "case", metav1.DeleteOptions{})
				_ = policies.Delete(ctx, "case", metav1.DeleteOptions{})
				for len(m.current()) != 0 && time.Now().Before(deadline.Add(5*time.Second)) {
					time.Sleep(10 * time.Millisecond)
				}
			}()
			got, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "m-"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			checkStatus(t, err, tc.wantCode, tc.wantMsg, "")
			if err == nil && got.Labels["team"] != tc.wantLabel {
				t.Errorf("labels = %v, want team=%q", got.Labels, tc.wantLabel)
			}
		})
	}
}
