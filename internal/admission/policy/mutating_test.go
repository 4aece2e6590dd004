package policy

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/openapi"
)

// mutatingEnv is a served API whose admission chain is the MutatingAdmissionPolicy
// plugin, with the built-in kinds' schemas as the server gives them.
type mutatingEnv struct {
	*admissiontest.Env
	m *Mutating
}

func startMutating(t *testing.T) *mutatingEnv {
	t.Helper()
	e := &mutatingEnv{}
	e.Env = admissiontest.Start(t, func(ctx context.Context, ae *admissiontest.Env) endpoints.Admission {
		group := admissionregistrationv1.SchemeGroupVersion
		oapi := openapi.New(ae.Resources, ae.Scheme)
		e.m = NewMutating(Config{
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
			TypeConverter: sync.OnceValues(func() (managedfields.TypeConverter, error) {
				defs, err := oapi.Definitions()
				if err != nil {
					return nil, err
				}
				return managedfields.NewTypeConverter(defs, false)
			}),
		})
		e.m.Run(ctx)
		return e.m
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.m.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return e
}

// testPolicy is one MutatingAdmissionPolicy bound by a binding of the same name.
type testPolicy struct {
	name         string
	rules        *admissionregistrationv1.MatchResources
	mutations    []admissionregistrationv1.Mutation
	failure      *admissionregistrationv1.FailurePolicyType
	paramRef     *admissionregistrationv1.ParamRef
	reinvocation admissionregistrationv1.ReinvocationPolicyType
}

// install creates the policies and their bindings, waits until the plugin sees
// them all, and removes them when the test ends.
func (e *mutatingEnv) install(t *testing.T, policies ...testPolicy) {
	t.Helper()
	ctx := context.Background()
	pc := e.Client.AdmissionregistrationV1().MutatingAdmissionPolicies()
	bc := e.Client.AdmissionregistrationV1().MutatingAdmissionPolicyBindings()
	for _, p := range policies {
		spec := admissionregistrationv1.MutatingAdmissionPolicySpec{MatchConstraints: p.rules, Mutations: p.mutations,
			FailurePolicy: p.failure, ReinvocationPolicy: p.reinvocation}
		if spec.MatchConstraints == nil {
			spec.MatchConstraints = configMapsRule()
		}
		if spec.ReinvocationPolicy == "" {
			spec.ReinvocationPolicy = admissionregistrationv1.NeverReinvocationPolicy
		}
		if p.paramRef != nil {
			spec.ParamKind = &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}
		}
		if _, err := pc.Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: p.name}, Spec: spec}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := bc.Create(ctx, &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: p.name},
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: p.name, ParamRef: p.paramRef}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	e.waitBound(t, len(policies))
	t.Cleanup(func() {
		for _, p := range policies {
			_ = bc.Delete(ctx, p.name, metav1.DeleteOptions{})
			_ = pc.Delete(ctx, p.name, metav1.DeleteOptions{})
		}
		e.waitBound(t, 0)
	})
}

func (e *mutatingEnv) waitBound(t *testing.T, n int) {
	t.Helper()
	waitFor(t, n, func() int { return len(e.m.current()) }, e.m.policies, e.m.bindings)
}

func applyConfiguration(expr string) []admissionregistrationv1.Mutation {
	return []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration,
		ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: expr}}}
}

func jsonPatch(expr string) []admissionregistrationv1.Mutation {
	return []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeJSONPatch,
		JSONPatch: &admissionregistrationv1.JSONPatch{Expression: expr}}}
}

func podsRule() *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"pods"}},
		}}}}
}

func TestMutatingAdmissionPolicy(t *testing.T) {
	e := startMutating(t)
	ctx := context.Background()
	if _, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, cm("dev", "defaults", map[string]string{"team": "blue"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		policy    testPolicy
		wantLabel string
		wantCode  int32
		wantMsg   string
	}{
		{name: "JSONPatch adds a label",
			policy:    testPolicy{mutations: jsonPatch(`[JSONPatch{op: "add", path: "/metadata/labels", value: {}}, JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("team"), value: "red"}]`)},
			wantLabel: "red"},
		{name: "ApplyConfiguration sets a label from params",
			policy: testPolicy{mutations: applyConfiguration(`Object{metadata: Object.metadata{labels: {"team": params.data.team}}}`),
				paramRef: &admissionregistrationv1.ParamRef{Name: "defaults", ParameterNotFoundAction: ptr(admissionregistrationv1.DenyAction)}},
			wantLabel: "blue"},
		{name: "a failing patch under Fail refuses",
			policy:   testPolicy{mutations: jsonPatch(`[JSONPatch{op: "remove", path: "/spec/nothere"}]`)},
			wantCode: 403, wantMsg: "policy 'case' with binding 'case' denied request: JSON Patch"},
		{name: "a failing patch under Ignore admits",
			policy: testPolicy{mutations: jsonPatch(`[JSONPatch{op: "remove", path: "/spec/nothere"}]`), failure: ptr(admissionregistrationv1.Ignore)}},
		{name: "under Ignore the mutations after a failing one still run",
			policy: testPolicy{failure: ptr(admissionregistrationv1.Ignore), mutations: append(jsonPatch(`[JSONPatch{op: "remove", path: "/spec/nothere"}]`),
				applyConfiguration(`Object{metadata: Object.metadata{labels: {"team": "green"}}}`)...)},
			wantLabel: "green"},
		{name: "a field the schema does not declare is refused",
			policy:   testPolicy{mutations: applyConfiguration(`Object{datax: {"a": "b"}}`)},
			wantCode: 403, wantMsg: "policy 'case' with binding 'case' denied request: error applying patch: failed to convert patch object to typed object: .datax: field not declared in schema"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.policy.name = "case"
			e.install(t, tc.policy)
			got, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "m-"}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			checkStatus(t, err, tc.wantCode, tc.wantMsg, "")
			if err == nil && got.Labels["team"] != tc.wantLabel {
				t.Errorf("labels = %v, want team=%q", got.Labels, tc.wantLabel)
			}
		})
	}
}

// TestMutatingApplyConfigurationMerge checks that ApplyConfigurations merge as
// server-side apply does, by the kind's schema.
func TestMutatingApplyConfigurationMerge(t *testing.T) {
	e := startMutating(t)
	ctx := context.Background()
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "p-", Labels: map[string]string{"app": "web"}, Finalizers: []string{"example.com/a"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: "app:1", Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}}},
			{Name: "sidecar", Image: "sidecar:1", Env: []corev1.EnvVar{{Name: "LEVEL", Value: "info"}}},
		}}}
	cases := []struct {
		name     string
		expr     string
		check    func(t *testing.T, got *corev1.Pod)
		wantCode int32
		wantMsg  string
	}{
		{name: "an env var merges into the container of that name",
			expr: `Object{spec: Object.spec{containers: [Object.spec.containers{name: "sidecar", env: [Object.spec.containers.env{name: "TRACE", value: "on"}]}]}}`,
			check: func(t *testing.T, got *corev1.Pod) {
				want := []corev1.Container{
					{Name: "app", Image: "app:1", Env: []corev1.EnvVar{{Name: "MODE", Value: "prod"}}},
					{Name: "sidecar", Image: "sidecar:1", Env: []corev1.EnvVar{{Name: "LEVEL", Value: "info"}, {Name: "TRACE", Value: "on"}}},
				}
				checkContainers(t, got.Spec.Containers, want)
			}},
		{name: "an existing env var of the named container changes in place",
			expr: `Object{spec: Object.spec{containers: [Object.spec.containers{name: "app", env: [Object.spec.containers.env{name: "MODE", value: "debug"}]}]}}`,
			check: func(t *testing.T, got *corev1.Pod) {
				want := []corev1.Container{
					{Name: "app", Image: "app:1", Env: []corev1.EnvVar{{Name: "MODE", Value: "debug"}}},
					{Name: "sidecar", Image: "sidecar:1", Env: []corev1.EnvVar{{Name: "LEVEL", Value: "info"}}},
				}
				checkContainers(t, got.Spec.Containers, want)
			}},
		{name: "a new container is added after the others",
			expr: `Object{spec: Object.spec{containers: [Object.spec.containers{name: "proxy", image: "proxy:2"}]}}`,
			check: func(t *testing.T, got *corev1.Pod) {
				if n := len(got.Spec.Containers); n != 3 || got.Spec.Containers[2].Name != "proxy" || got.Spec.Containers[0].Image != "app:1" {
					t.Errorf("containers = %+v, want app, sidecar, proxy", got.Spec.Containers)
				}
			}},
		{name: "a label keeps the other labels",
			expr: `Object{metadata: Object.metadata{labels: {"tier": "front"}}}`,
			check: func(t *testing.T, got *corev1.Pod) {
				if len(got.Labels) != 2 || got.Labels["app"] != "web" || got.Labels["tier"] != "front" {
					t.Errorf("labels = %v, want app=web and tier=front", got.Labels)
				}
			}},
		{name: "a set list is unioned",
			expr: `Object{metadata: Object.metadata{finalizers: ["example.com/b"]}}`,
			check: func(t *testing.T, got *corev1.Pod) {
				if fmt.Sprint(got.Finalizers) != "[example.com/a example.com/b]" {
					t.Errorf("finalizers = %v, want [example.com/a example.com/b]", got.Finalizers)
				}
			}},
		{name: "an atomic list is refused",
			expr:     `Object{spec: Object.spec{containers: [Object.spec.containers{name: "app", command: ["sh"]}]}}`,
			wantCode: 403,
			wantMsg:  "policy 'merge' with binding 'merge' denied request: error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.containers[0].command"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.install(t, testPolicy{name: "merge", rules: podsRule(), mutations: applyConfiguration(tc.expr)})
			got, err := e.Client.CoreV1().Pods("dev").Create(ctx, pod, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			checkStatus(t, err, tc.wantCode, tc.wantMsg, "")
			if err == nil {
				tc.check(t, got)
			}
		})
	}
}

func checkContainers(t *testing.T, got, want []corev1.Container) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("containers = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Image != want[i].Image || fmt.Sprint(got[i].Env) != fmt.Sprint(want[i].Env) {
			t.Errorf("container %d = %s %s %v, want %s %s %v", i, got[i].Name, got[i].Image, got[i].Env, want[i].Name, want[i].Image, want[i].Env)
		}
	}
}

// TestMutatingAdmissionPolicyReinvocation counts the invocations of policies that
// each add one to an annotation.
func TestMutatingAdmissionPolicyReinvocation(t *testing.T) {
	e := startMutating(t)
	ctx := context.Background()
	const increment = `Object{metadata: Object.metadata{annotations: {"count": string(
		(has(object.metadata.annotations) && "count" in object.metadata.annotations ? int(object.metadata.annotations["count"]) : 0) + 1)}}}`
	counter := func(name string, r admissionregistrationv1.ReinvocationPolicyType) testPolicy {
		return testPolicy{name: name, reinvocation: r, mutations: applyConfiguration(increment)}
	}
	ifNeeded, never := admissionregistrationv1.IfNeededReinvocationPolicy, admissionregistrationv1.NeverReinvocationPolicy
	cases := []struct {
		name      string
		policies  []testPolicy
		wantCount string
	}{
		{name: "IfNeeded runs again after a later policy changed the object",
			policies:  []testPolicy{counter("a", ifNeeded), counter("b", never)},
			wantCount: "3"},
		{name: "Never runs once though a later policy changed the object",
			policies:  []testPolicy{counter("a", never), counter("b", never)},
			wantCount: "2"},
		{name: "two IfNeeded policies run again once each, the Never one does not",
			policies:  []testPolicy{counter("a", ifNeeded), counter("b", ifNeeded), counter("c", never)},
			wantCount: "5"},
		{name: "an IfNeeded policy that does not match is not reinvoked",
			policies: []testPolicy{counter("a", never), {name: "b", reinvocation: ifNeeded, mutations: applyConfiguration(increment),
				rules: podsRule()}},
			wantCount: "1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.install(t, tc.policies...)
			got, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "r-"}},
				metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Fatal(err)
			}
			if got.Annotations["count"] != tc.wantCount {
				t.Errorf("count = %q, want %q", got.Annotations["count"], tc.wantCount)
			}
		})
	}
}
