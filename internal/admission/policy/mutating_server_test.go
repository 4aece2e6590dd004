package policy_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var (
	crdGVR     = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	widgetsGVR = schema.GroupVersionResource{Group: "mutate.example.com", Version: "v1", Resource: "widgets"}
	podsGVR    = schema.GroupVersionResource{Version: "v1", Resource: "pods"}
)

// widgetsCRD has a list of parts merged by name and a set of tags.
func widgetsCRD() *unstructured.Unstructured {
	part := map[string]any{"type": "object", "required": []any{"name"}, "properties": map[string]any{
		"name": map[string]any{"type": "string"}, "size": map[string]any{"type": "integer"}}}
	spec := map[string]any{"type": "object", "properties": map[string]any{
		"parts": map[string]any{"type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": []any{"name"}, "items": part},
		"tags":  map[string]any{"type": "array", "x-kubernetes-list-type": "set", "items": map[string]any{"type": "string"}},
	}}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets.mutate.example.com"},
		"spec": map[string]any{
			"group": "mutate.example.com", "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true, "schema": map[string]any{
				"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{"spec": spec}}}}},
		},
	}}
}

// TestMutatingAdmissionPolicyServer checks the server's wiring: ApplyConfigurations
// merge by the built-in schemas and by a CRD's.
func TestMutatingAdmissionPolicyServer(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	dyn := dynamic.NewForConfigOrDie(in.Config)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := dyn.Resource(crdGVR).Create(ctx, widgetsCRD(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	widget := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "mutate.example.com/v1", "kind": "Widget", "metadata": map[string]any{"generateName": "w-"},
		"spec": map[string]any{"parts": []any{map[string]any{"name": "wheel", "size": int64(4)}}, "tags": []any{"red"}},
	}}
	pod, err := runtime.DefaultUnstructuredConverter.ToUnstructured(&corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{GenerateName: "p-"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: "app:1", Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}}},
			{Name: "sidecar", Image: "sidecar:1"},
		}}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		gvr      schema.GroupVersionResource
		object   *unstructured.Unstructured
		expr     string
		render   func(got *unstructured.Unstructured) string
		want     string
		wantCode int32
		wantMsg  string
	}{
		{name: "a pod's env var merges into the container of that name", gvr: podsGVR, object: &unstructured.Unstructured{Object: pod},
			expr: `Object{spec: Object.spec{containers: [Object.spec.containers{name: "app", env: [Object.spec.containers.env{name: "TRACE", value: "on"}]}]}}`,
			want: "app app:1 [map[name:MODE value:prod] map[name:TRACE value:on]]; sidecar sidecar:1 <nil>",
			render: func(got *unstructured.Unstructured) string {
				containers, _, _ := unstructured.NestedSlice(got.Object, "spec", "containers")
				var out []string
				for _, c := range containers {
					m := c.(map[string]any)
					out = append(out, fmt.Sprintf("%v %v %v", m["name"], m["image"], m["env"]))
				}
				return strings.Join(out, "; ")
			}},
		{name: "a custom resource's part merges by its name", gvr: widgetsGVR, object: widget,
			expr: `Object{spec: Object.spec{parts: [Object.spec.parts{name: "door", size: 2}], tags: ["blue"]}}`,
			want: "[map[name:wheel size:4] map[name:door size:2]] [red blue]",
			render: func(got *unstructured.Unstructured) string {
				parts, _, _ := unstructured.NestedSlice(got.Object, "spec", "parts")
				tags, _, _ := unstructured.NestedStringSlice(got.Object, "spec", "tags")
				return fmt.Sprint(parts, tags)
			}},
		{name: "a custom resource's undeclared field is refused", gvr: widgetsGVR, object: widget,
			expr:     `Object{spec: Object.spec{colour: "green"}}`,
			wantCode: 403, wantMsg: "error applying patch: failed to convert patch object to typed object: .spec.colour: field not declared in schema"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("merge-%d", i)
			installServerPolicy(t, cs, name, tc.gvr, tc.expr)
			// The policy takes effect once the plugin saw it: retry until the
			// object comes back mutated or refused.
			var got *unstructured.Unstructured
			var lastErr error
			err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
				got, lastErr = dyn.Resource(tc.gvr).Namespace("default").Create(ctx, tc.object, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				if tc.wantCode != 0 {
					se, ok := lastErr.(apierrors.APIStatus)
					return ok && se.Status().Code == tc.wantCode && strings.Contains(se.Status().Message, tc.wantMsg), nil
				}
				return lastErr == nil && tc.render(got) == tc.want, nil
			})
			if err == nil {
				return
			}
			if tc.wantCode != 0 {
				t.Fatalf("got %v, want %d with %q", lastErr, tc.wantCode, tc.wantMsg)
			}
			if lastErr != nil {
				t.Fatalf("got %v, want %s", lastErr, tc.want)
			}
			t.Fatalf("got %s, want %s", tc.render(got), tc.want)
		})
	}
}

// installServerPolicy binds a policy that applies expr to gvr's objects and
// removes it when the test ends.
func installServerPolicy(t *testing.T, cs kubernetes.Interface, name string, gvr schema.GroupVersionResource, expr string) {
	t.Helper()
	ctx := context.Background()
	policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
			MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
				RuleWithOperations: admissionregistrationv1.RuleWithOperations{
					Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
					Rule:       admissionregistrationv1.Rule{APIGroups: []string{gvr.Group}, APIVersions: []string{gvr.Version}, Resources: []string{gvr.Resource}},
				}}}},
			Mutations: []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
				ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: expr}}},
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
