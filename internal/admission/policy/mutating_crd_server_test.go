package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var gadgetsV1 = schema.GroupVersionResource{Group: "defaults.example.com", Version: "v1", Resource: "gadgets"}

// gadgetsCRD serves v1 (stored) and v2; each version defaults spec.sub.mode
// to a value naming the version, so a test sees which schema defaulted.
func gadgetsCRD() *unstructured.Unstructured {
	version := func(name string, storage bool) map[string]any {
		sub := map[string]any{"type": "object", "properties": map[string]any{
			"mode": map[string]any{"type": "string", "default": "auto-" + name},
			"size": map[string]any{"type": "integer"},
		}}
		spec := map[string]any{"type": "object", "properties": map[string]any{"sub": sub}}
		return map[string]any{"name": name, "served": true, "storage": storage, "schema": map[string]any{
			"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{"spec": spec}}}}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "gadgets.defaults.example.com"},
		"spec": map[string]any{
			"group": "defaults.example.com", "scope": "Namespaced",
			"names":    map[string]any{"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
			"versions": []any{version("v1", true), version("v2", false)},
		},
	}}
}

// TestMutatingAdmissionPolicyCustomResources checks, on the real server, that a
// custom resource is defaulted by its CRD's schema after a mutation, and that
// ApplyConfiguration initializers must be named after their field paths.
func TestMutatingAdmissionPolicyCustomResources(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(in.Config)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := dyn.Resource(crdGVR).Create(ctx, gadgetsCRD(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	gadget := func(gvr schema.GroupVersionResource, name string) *unstructured.Unstructured {
		return &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": gvr.GroupVersion().String(), "kind": "Gadget",
			"metadata": map[string]any{"name": name}, "spec": map[string]any{}}}
	}
	sub := func(obj *unstructured.Unstructured) string {
		m, _, _ := unstructured.NestedMap(obj.Object, "spec", "sub")
		return fmt.Sprint(m)
	}

	t.Run("defaults", func(t *testing.T) {
		cases := []struct {
			name     string
			gvr      schema.GroupVersionResource
			mutation admissionregistrationv1.Mutation
			want     string
		}{
			{name: "an object an ApplyConfiguration creates gets its defaults", gvr: gadgetsV1,
				mutation: applyMutation(`Object{spec: Object.spec{sub: Object.spec.sub{size: 2}}}`),
				want:     "map[mode:auto-v1 size:2]"},
			{name: "an object a JSONPatch creates gets its defaults", gvr: gadgetsV1,
				mutation: jsonPatchMutation(`[JSONPatch{op: "add", path: "/spec/sub", value: {"size": 3}}]`),
				want:     "map[mode:auto-v1 size:3]"},
			{name: "a value the policy sets is not replaced by the default", gvr: gadgetsV1,
				mutation: applyMutation(`Object{spec: Object.spec{sub: Object.spec.sub{size: 4, mode: "manual"}}}`),
				want:     "map[mode:manual size:4]"},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				name := fmt.Sprintf("defaults-%d", i)
				installServerMutations(t, cs, name, tc.gvr, tc.mutation)
				// Wait until the plugin saw this policy and no earlier one: a dry
				// run comes back as wanted. Requests use ctx, not the poll's, so
				// the last answer is the server's.
				var got *unstructured.Unstructured
				var lastErr error
				err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
					got, lastErr = dyn.Resource(tc.gvr).Namespace("default").Create(ctx, gadget(tc.gvr, name), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
					return lastErr == nil && sub(got) == tc.want, nil
				})
				if err != nil {
					if lastErr != nil {
						t.Fatalf("dry run: %v, want spec.sub %s", lastErr, tc.want)
					}
					t.Fatalf("dry run spec.sub = %s, want %s", sub(got), tc.want)
				}
				if _, err := dyn.Resource(tc.gvr).Namespace("default").Create(ctx, gadget(tc.gvr, name), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				// What etcd holds, not what reads default again.
				key := "/registry/defaults.example.com/gadgets/default/" + name
				resp, err := in.Etcd.Get(ctx, key)
				if err != nil || len(resp.Kvs) != 1 {
					t.Fatalf("etcd get %s: %v, %d values", key, err, len(resp.Kvs))
				}
				stored := &unstructured.Unstructured{}
				if err := json.Unmarshal(resp.Kvs[0].Value, &stored.Object); err != nil {
					t.Fatal(err)
				}
				if got := sub(stored); got != tc.want {
					t.Errorf("stored spec.sub = %s, want %s", got, tc.want)
				}
			})
		}
	})

	t.Run("type names", func(t *testing.T) {
		cases := []struct {
			name    string
			expr    string
			want    string // spec.sub of the admitted object
			wantMsg string // the denial's message, when refused
		}{
			{name: "initializers named after their field paths are accepted",
				expr: `Object{metadata: Object.metadata{labels: {"checked": "yes"}}, spec: Object.spec{sub: Object.spec.sub{size: 6}}}`,
				want: "map[mode:auto-v1 size:6]"},
			{name: "a misspelt field in a type name is refused",
				expr:    `Object{spec: Object.specx{sub: Object.spec.sub{size: 7}}}`,
				wantMsg: `policy 'names' with binding 'names' denied request: type mismatch: unexpected type name "Object.specx", expected "Object.spec", which matches field name path from root Object type`},
			{name: "an initializer at the wrong depth is refused",
				expr:    `Object{spec: Object.spec{sub: Object.sub{size: 8}}}`,
				wantMsg: `policy 'names' with binding 'names' denied request: type mismatch: unexpected type name "Object.sub", expected "Object.spec.sub", which matches field name path from root Object type`},
			{name: "a nested initializer as the result is refused when compiled",
				expr:    `Object.spec{sub: Object.spec.sub{size: 9}}`,
				wantMsg: `policy 'names' with binding 'names' denied request: must evaluate to Object but got Object.spec`},
		}
		for i, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				installServerMutations(t, cs, "names", gadgetsV1, applyMutation(tc.expr))
				obj := gadget(gadgetsV1, fmt.Sprintf("names-%d", i))
				var got *unstructured.Unstructured
				var lastErr error
				err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
					got, lastErr = dyn.Resource(gadgetsV1).Namespace("default").Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
					if tc.wantMsg != "" {
						se, ok := lastErr.(apierrors.APIStatus)
						return ok && se.Status().Code == 403 && se.Status().Message == tc.wantMsg, nil
					}
					return lastErr == nil && sub(got) == tc.want, nil
				})
				if err == nil {
					return
				}
				if lastErr != nil {
					t.Fatalf("got %v, want %s%s", lastErr, tc.want, tc.wantMsg)
				}
				t.Fatalf("got spec.sub %s, want %s%s", sub(got), tc.want, tc.wantMsg)
			})
		}
	})
}

func applyMutation(expr string) admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
		ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: expr}}
}

func jsonPatchMutation(expr string) admissionregistrationv1.Mutation {
	return admissionregistrationv1.Mutation{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
		JSONPatch: &admissionregistrationv1.JSONPatch{Expression: expr}}
}

// installServerMutations binds a policy that makes mutations to the creates of
// gvr's objects (that version only) and removes it when the test ends.
func installServerMutations(t *testing.T, cs kubernetes.Interface, name string, gvr schema.GroupVersionResource, mutations ...admissionregistrationv1.Mutation) {
	t.Helper()
	ctx := context.Background()
	exact := admissionregistrationv1.Exact
	policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{MatchPolicy: &exact,
				ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
					RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
						Rule:       admissionregistrationv1.Rule{APIGroups: []string{gvr.Group}, APIVersions: []string{gvr.Version}, Resources: []string{gvr.Resource}},
					}}}},
			Mutations:          mutations,
			ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
		}}
	if _, err := cs.AdmissionregistrationV1().MutatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: name}}
	if _, err := cs.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Delete(ctx, name, metav1.DeleteOptions{})
		_ = cs.AdmissionregistrationV1().MutatingAdmissionPolicies().Delete(ctx, name, metav1.DeleteOptions{})
	})
}
