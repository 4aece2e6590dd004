package policy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestPolicyCustomResourceVersions checks, on the real server with real
// multi-version CRDs (v1 stored, v2 served; webhook conversion renames v1's
// spec.size to v2's spec.count, None only changes apiVersion), that admission
// policies matching v1 only with matchPolicy Equivalent see a request made at v2
// as a v1 object, and that a mutation made at v1 is stored and served right.
func TestPolicyCustomResourceVersions(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	admissiontest.InstallCRD(t, in.Config, admissiontest.MultiVersionCRD(t, "widgets", "Widget", true))
	admissiontest.InstallCRD(t, in.Config, admissiontest.MultiVersionCRD(t, "gizmos", "Gizmo", false))
	dyn := dynamic.NewForConfigOrDie(in.Config)
	cs := kubernetes.NewForConfigOrDie(in.Config)

	// The validation denies v1 objects of size 10 or more, seen as v1 of a v2
	// request; its message shows what it saw.
	const validation = `object.apiVersion == "versions.example.com/v1" && request.kind.version == "v1" && ` +
		`request.requestKind.version == "v2" && (!has(object.spec.size) || object.spec.size < 10)`
	message := func(field string) string {
		return `"saw " + object.apiVersion + " ` + field + ` " + string(object.spec.` + field + `) + " as " + request.kind.version + " of " + request.requestKind.version`
	}
	cases := []struct {
		name     string
		resource string // widgets (webhook conversion) or gizmos (None)
		kind     string
		// validation with message, or mutation (a JSONPatch expression), is
		// the policy's.
		validation string
		message    string
		mutation   string
		count      int64  // spec.count of the object created at v2
		wantDenied string // the denial's message contains it
		wantServed string // spec and annotations of the created object (v2)
		wantStored string // spec and annotations in etcd (v1)
	}{
		{name: "a validating policy for v1 sees a v2 request converted to v1", resource: "widgets", kind: "Widget",
			validation: validation, message: message("size"), count: 20, wantDenied: "saw versions.example.com/v1 size 20 as v1 of v2"},
		{name: "a validating policy for v1 sees a v2 request at v1 with conversion None", resource: "gizmos", kind: "Gizmo",
			validation: `object.apiVersion == "versions.example.com/v1" && request.kind.version == "v1" && false`,
			message:    message("count"), count: 21, wantDenied: "saw versions.example.com/v1 count 21 as v1 of v2"},
		{name: "a mutating policy for v1 mutates the converted object, stored at v1", resource: "widgets", kind: "Widget",
			mutation: `[JSONPatch{op: "replace", path: "/spec/size", value: object.spec.size + 10}, ` +
				`JSONPatch{op: "add", path: "/metadata/annotations", value: {"seen": object.apiVersion}}]`,
			count: 1, wantServed: "map[count:11] map[seen:versions.example.com/v1]", wantStored: "map[size:11] map[seen:versions.example.com/v1]"},
		{name: "a mutating policy for v1 with conversion None", resource: "gizmos", kind: "Gizmo",
			mutation:   `[JSONPatch{op: "add", path: "/metadata/annotations", value: {"seen": object.apiVersion}}]`,
			count:      2,
			wantServed: "map[count:2] map[seen:versions.example.com/v1]", wantStored: "map[count:2] map[seen:versions.example.com/v1]"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			label := fmt.Sprintf("policy-case-%d", i)
			installEquivalentPolicy(t, cs, label, tc.resource, tc.validation, tc.message, tc.mutation)
			gvr := schema.GroupVersionResource{Group: admissiontest.WidgetsGroup, Version: "v2", Resource: tc.resource}
			obj := func(name string, count int64) *unstructured.Unstructured {
				return &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": gvr.GroupVersion().String(), "kind": tc.kind,
					"metadata": map[string]any{"name": name, "labels": map[string]any{"case": label}},
					"spec":     map[string]any{"count": count}}}
			}
			served := func(u *unstructured.Unstructured) string {
				return fmt.Sprint(u.Object["spec"]) + " " + fmt.Sprint(u.GetAnnotations())
			}
			name := label + "-object"
			// Dry runs until the policy took effect and answers as wanted.
			var got *unstructured.Unstructured
			var lastErr error
			err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
				got, lastErr = dyn.Resource(gvr).Namespace("default").Create(ctx, obj(name, tc.count), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				if tc.wantDenied != "" {
					return lastErr != nil && strings.Contains(lastErr.Error(), tc.wantDenied), nil
				}
				return lastErr == nil && served(got) == tc.wantServed, nil
			})
			if err != nil {
				if lastErr != nil || got == nil {
					t.Fatalf("dry run: %v, want %s%s", lastErr, tc.wantDenied, tc.wantServed)
				}
				t.Fatalf("dry run served %s, want %s", served(got), tc.wantServed)
			}
			if tc.wantDenied != "" {
				if tc.validation == validation {
					// A small object passes the same policy.
					if _, err := dyn.Resource(gvr).Namespace("default").Create(ctx, obj(label+"-small", 3), metav1.CreateOptions{}); err != nil {
						t.Errorf("small object: %v", err)
					}
				}
				return
			}
			created, err := dyn.Resource(gvr).Namespace("default").Create(ctx, obj(name, tc.count), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if got := served(created); got != tc.wantServed || created.GetAPIVersion() != gvr.GroupVersion().String() {
				t.Errorf("created %s %s, want %s %s", created.GetAPIVersion(), got, gvr.GroupVersion(), tc.wantServed)
			}
			key := "/registry/" + admissiontest.WidgetsGroup + "/" + tc.resource + "/default/" + name
			resp, err := in.Etcd.Get(ctx, key)
			if err != nil || len(resp.Kvs) != 1 {
				t.Fatalf("etcd get %s: %v", key, err)
			}
			stored := &unstructured.Unstructured{}
			if err := json.Unmarshal(resp.Kvs[0].Value, &stored.Object); err != nil {
				t.Fatal(err)
			}
			if got := served(stored); got != tc.wantStored || stored.GetAPIVersion() != admissiontest.WidgetsGroup+"/v1" {
				t.Errorf("stored %s %s, want %s/v1 %s", stored.GetAPIVersion(), got, admissiontest.WidgetsGroup, tc.wantStored)
			}
		})
	}
}

// installEquivalentPolicy binds a validating policy (validation, with message) or
// a mutating one (mutation, a JSONPatch expression) to the creates of resource
// at v1 only, matchPolicy Equivalent, for objects labelled case=label; both are
// removed when the test ends.
func installEquivalentPolicy(t *testing.T, cs kubernetes.Interface, label, resource, validation, message, mutation string) {
	t.Helper()
	ctx := context.Background()
	equivalent := admissionregistrationv1.Equivalent
	fail := admissionregistrationv1.Fail
	match := &admissionregistrationv1.MatchResources{MatchPolicy: &equivalent,
		ObjectSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"case": label}},
		ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
			RuleWithOperations: admissionregistrationv1.RuleWithOperations{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
				Rule: admissionregistrationv1.Rule{APIGroups: []string{admissiontest.WidgetsGroup}, APIVersions: []string{"v1"},
					Resources: []string{resource}},
			}}}}
	meta := metav1.ObjectMeta{Name: label}
	policies := cs.AdmissionregistrationV1()
	if mutation != "" {
		p := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: meta, Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: match, FailurePolicy: &fail, ReinvocationPolicy: admissionregistrationv1.NeverReinvocationPolicy,
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
				JSONPatch: &admissionregistrationv1.JSONPatch{Expression: mutation}}}}}
		if _, err := policies.MutatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		b := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: meta,
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: label}}
		if _, err := policies.MutatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = policies.MutatingAdmissionPolicyBindings().Delete(ctx, label, metav1.DeleteOptions{})
			_ = policies.MutatingAdmissionPolicies().Delete(ctx, label, metav1.DeleteOptions{})
		})
		return
	}
	p := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: meta, Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
		MatchConstraints: match, FailurePolicy: &fail,
		Validations: []admissionregistrationv1.Validation{{Expression: validation, MessageExpression: message}}}}
	if _, err := policies.ValidatingAdmissionPolicies().Create(ctx, p, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	b := &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: meta,
		Spec: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: label,
			ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}
	if _, err := policies.ValidatingAdmissionPolicyBindings().Create(ctx, b, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = policies.ValidatingAdmissionPolicyBindings().Delete(ctx, label, metav1.DeleteOptions{})
		_ = policies.ValidatingAdmissionPolicies().Delete(ctx, label, metav1.DeleteOptions{})
	})
}
