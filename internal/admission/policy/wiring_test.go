package policy

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
)

// TestBuildExternal wires the plugins the way the server does (BuildExternal, then
// Chain.Insert) and checks a mutating and a validating policy act in one chain.
func TestBuildExternal(t *testing.T) {
	var plugins []NamedPlugin
	e := admissiontest.Start(t, func(ctx context.Context, ae *admissiontest.Env) endpoints.Admission {
		plugins = BuildExternal(ServerDeps{Scheme: ae.Scheme, Resources: ae.Resources,
			Store: func(gvr schema.GroupVersionResource) *registry.Store { return ae.Stores[gvr] }},
			func(string) bool { return true })
		var chain admission.Chain
		for _, p := range plugins {
			chain = chain.Insert(admission.NamedPlugin{Name: p.Name, Plugin: p.Plugin})
		}
		chain.Run(ctx)
		return chain
	})
	ctx := context.Background()
	for _, p := range plugins {
		wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := p.WaitForSync(wctx); err != nil {
			t.Fatalf("%s: %v", p.Name, err)
		}
		cancel()
	}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ar := e.Client.AdmissionregistrationV1()
	deny := []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
	steps := []func() error{
		func() error {
			_, err := ar.MutatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "m"},
				Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: configMapsRule(), ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
					Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{
						Expression: `Object{metadata: Object.metadata{labels: {"stamped": "yes"}}}`}}}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := ar.MutatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "m"},
				Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: "m"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := ar.ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "v"},
				Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: configMapsRule(),
					Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.labels.stamped == 'yes'", Message: "not stamped"}}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := ar.ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "v"},
				Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: "v", ValidationActions: deny}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	var got *corev1.ConfigMap
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		got, err = e.Client.CoreV1().ConfigMaps("dev").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "w-"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		if err == nil && got.Labels["stamped"] == "yes" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("mutating policy did not apply before the validating one: %v %v", err, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if names := []string{plugins[0].Name, plugins[3].Name}; names[0] != "MutatingAdmissionPolicy" || names[1] != "ValidatingAdmissionWebhook" {
		t.Errorf("plugin order %v", names)
	}
}
