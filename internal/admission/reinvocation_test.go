package admission_test

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// trackedMutator is one mutator of a trackedPlugin.
type trackedMutator struct {
	name     string
	ifNeeded bool
	mutate   func(cm *corev1.ConfigMap)
}

// trackedPlugin runs its mutators through the chain's reinvocation state, the way
// the webhook and policy plugins do, and logs each call.
type trackedPlugin struct {
	name     string
	mutators []trackedMutator
	log      *[]string
}

func (p trackedPlugin) Admit(ctx context.Context, a *endpoints.Attributes) error {
	return admission.Reinvoke(ctx, a, func(ctx context.Context, r *admission.Reinvocation) error {
		tr := admission.TrackerFor[string](r, p.name)
		tr.Begin(a.Object)
		defer func() { tr.End(a.Object) }()
		cm := a.Object.(*corev1.ConfigMap)
		for _, m := range p.mutators {
			if tr.Skip(m.name) {
				continue
			}
			*p.log = append(*p.log, m.name)
			before := cm.DeepCopy()
			m.mutate(cm)
			tr.Ran(m.name, !apiequality.Semantic.DeepEqual(before, cm), m.ifNeeded)
		}
		return nil
	})
}

// builtinPlugin is an idempotent built-in plugin: it sets a key and logs its passes.
type builtinPlugin struct{ log *[]string }

func (p builtinPlugin) Admit(_ context.Context, a *endpoints.Attributes) error {
	*p.log = append(*p.log, "builtin")
	a.Object.(*corev1.ConfigMap).Data["builtin"] = "yes"
	return nil
}

func count(key string) func(*corev1.ConfigMap) {
	return func(cm *corev1.ConfigMap) {
		n, _ := strconv.Atoi(cm.Data[key])
		cm.Data[key] = strconv.Itoa(n + 1)
	}
}

func set(key, value string) func(*corev1.ConfigMap) {
	return func(cm *corev1.ConfigMap) { cm.Data[key] = value }
}

func noop(*corev1.ConfigMap) {}

// TestChainReinvocation checks which plugins and mutators the chain's second pass
// runs.
func TestChainReinvocation(t *testing.T) {
	type plugin struct {
		name     string
		mutators []trackedMutator
	}
	cases := []struct {
		name     string
		plugins  []plugin
		wantLog  []string
		wantData map[string]string
	}{
		{name: "nothing changed: one pass",
			plugins: []plugin{{"A", []trackedMutator{{"a", true, noop}}}},
			wantLog: []string{"builtin", "a"}, wantData: map[string]string{"builtin": "yes"}},
		{name: "a change runs every built-in plugin again, Never mutators not",
			plugins: []plugin{{"A", []trackedMutator{{"a", false, count("a")}}}},
			wantLog: []string{"builtin", "a", "builtin"}, wantData: map[string]string{"builtin": "yes", "a": "1"}},
		{name: "IfNeeded mutator reinvoked after a later plugin changed the object",
			plugins: []plugin{{"A", []trackedMutator{{"a", true, set("a", "x")}}}, {"B", []trackedMutator{{"b", false, count("b")}}}},
			wantLog: []string{"builtin", "a", "b", "builtin", "a"}, wantData: map[string]string{"builtin": "yes", "a": "x", "b": "1"}},
		{name: "IfNeeded mutator not reinvoked when only earlier plugins changed the object",
			plugins: []plugin{{"A", []trackedMutator{{"a", false, count("a")}}}, {"B", []trackedMutator{{"b", true, noop}}}},
			wantLog: []string{"builtin", "a", "b", "builtin"}, wantData: map[string]string{"builtin": "yes", "a": "1"}},
		{name: "IfNeeded mutators of one plugin cascade in the second pass",
			plugins:  []plugin{{"A", []trackedMutator{{"a1", true, count("a1")}, {"a2", false, count("a2")}, {"a3", true, count("a3")}}}},
			wantLog:  []string{"builtin", "a1", "a2", "a3", "builtin", "a1", "a3"},
			wantData: map[string]string{"builtin": "yes", "a1": "2", "a2": "1", "a3": "2"}},
		{name: "a reinvoked mutator that changes nothing does not cascade",
			plugins:  []plugin{{"A", []trackedMutator{{"a1", true, set("a1", "x")}, {"a2", false, count("a2")}, {"a3", true, count("a3")}}}},
			wantLog:  []string{"builtin", "a1", "a2", "a3", "builtin", "a1"},
			wantData: map[string]string{"builtin": "yes", "a1": "x", "a2": "1", "a3": "1"}},
		{name: "a single second pass though the object keeps changing",
			plugins:  []plugin{{"A", []trackedMutator{{"a", true, count("a")}}}, {"B", []trackedMutator{{"b", true, count("b")}}}},
			wantLog:  []string{"builtin", "a", "b", "builtin", "a", "b"},
			wantData: map[string]string{"builtin": "yes", "a": "2", "b": "2"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var log []string
			c := admission.Chain{{Name: "Builtin", Plugin: builtinPlugin{log: &log}}}
			for _, p := range tc.plugins {
				c = append(c, admission.NamedPlugin{Name: p.name, Plugin: trackedPlugin{name: p.name, mutators: p.mutators, log: &log}})
			}
			cm := &corev1.ConfigMap{Data: map[string]string{}}
			if err := c.Mutate(context.Background(), &endpoints.Attributes{Operation: "CREATE", Object: cm}); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(log, tc.wantLog) {
				t.Errorf("calls = %v, want %v", log, tc.wantLog)
			}
			if !maps.Equal(cm.Data, tc.wantData) {
				t.Errorf("data = %v, want %v", cm.Data, tc.wantData)
			}
		})
	}
}

// TestReinvokeNested checks that admitting another object inside a pass gets its
// own passes and leaves the enclosing request's state alone.
func TestReinvokeNested(t *testing.T) {
	outer := &endpoints.Attributes{Object: &corev1.ConfigMap{Data: map[string]string{}}}
	inner := &endpoints.Attributes{Object: &corev1.ConfigMap{Data: map[string]string{}}}
	var outerPasses, innerPasses int
	err := admission.Reinvoke(context.Background(), outer, func(ctx context.Context, r *admission.Reinvocation) error {
		outerPasses++
		return admission.Reinvoke(ctx, inner, func(ctx context.Context, ir *admission.Reinvocation) error {
			innerPasses++
			ir.RequestReinvoke()
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{{"outer passes", outerPasses, 1}, {"inner passes", innerPasses, 2}} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}

// reinvocationHooks is a TLS webhook server on loopback whose path says what it
// does to a configmap: /<hook>/count/<label> adds one to the label, /<hook>/noop
// allows it as it is. It counts the calls of each <hook>.
type reinvocationHooks struct {
	srv *httptest.Server
	ca  []byte
	// mu guards calls.
	mu    sync.Mutex
	calls map[string]int
}

func startReinvocationHooks(t *testing.T) *reinvocationHooks {
	t.Helper()
	h := &reinvocationHooks{calls: map[string]int{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	return h
}

func (h *reinvocationHooks) callsOf(hook string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[hook]
}

func (h *reinvocationHooks) serve(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	h.mu.Lock()
	h.calls[parts[0]]++
	h.mu.Unlock()
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if len(parts) == 3 && parts[1] == "count" {
		var obj struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(review.Request.Object.Raw, &obj)
		var ops []map[string]any
		if obj.Metadata.Labels == nil {
			ops = append(ops, map[string]any{"op": "add", "path": "/metadata/labels", "value": map[string]string{}})
		}
		n, _ := strconv.Atoi(obj.Metadata.Labels[parts[2]])
		ops = append(ops, map[string]any{"op": "add", "path": "/metadata/labels/" + parts[2], "value": strconv.Itoa(n + 1)})
		resp.Patch, _ = json.Marshal(ops)
		pt := admissionv1.PatchTypeJSONPatch
		resp.PatchType = &pt
	}
	review.Response, review.Request = resp, nil
	_ = json.NewEncoder(w).Encode(&review)
}

// hookSpec is a webhook of a case: path is under the server's URL.
type hookSpec struct {
	path     string
	ifNeeded bool
}

// policySpec is a MutatingAdmissionPolicy of a case applying expr.
type policySpec struct {
	name     string
	expr     string
	ifNeeded bool
}

// countAnnotation is an ApplyConfiguration adding one to annotation key.
func countAnnotation(key string) string {
	return fmt.Sprintf(`Object{metadata: Object.metadata{annotations: {%[1]q: string(
		(has(object.metadata.annotations) && %[1]q in object.metadata.annotations ? int(object.metadata.annotations[%[1]q]) : 0) + 1)}}}`, key)
}

// copyLabel copies label "hook" into annotation "saw-hook"; it fails (and the
// policy ignores the failure) while the object has no labels.
const copyLabel = `Object{metadata: Object.metadata{annotations: {"saw-hook": object.metadata.labels["hook"]}}}`

func reinvocationPolicy(ifNeeded bool) admissionregistrationv1.ReinvocationPolicyType {
	if ifNeeded {
		return admissionregistrationv1.IfNeededReinvocationPolicy
	}
	return admissionregistrationv1.NeverReinvocationPolicy
}

// installReinvocationCase creates ns (labelled for the case) and the case's
// policies and webhooks, which select only ns's configmaps and widgets labelled
// reinvocation=measured, or, with probes, only those labelled probe=true.
func installReinvocationCase(t *testing.T, cs kubernetes.Interface, h *reinvocationHooks, ns string, probes bool, policies []policySpec, hooks []hookSpec) {
	t.Helper()
	ctx := context.Background()
	var nsSel, objSel *metav1.LabelSelector
	if probes {
		objSel = &metav1.LabelSelector{MatchLabels: map[string]string{"probe": "true"}}
	} else {
		// The object selector leaves alone the configmaps controllers create.
		nsSel = &metav1.LabelSelector{MatchLabels: map[string]string{"reinvocation-case": ns}}
		objSel = &metav1.LabelSelector{MatchLabels: map[string]string{"reinvocation": "measured"}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns,
			Labels: map[string]string{"reinvocation-case": ns}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	create := []admissionregistrationv1.OperationType{admissionregistrationv1.Create}
	rule := admissionregistrationv1.Rule{APIGroups: []string{"", widgetsGVR.Group}, APIVersions: []string{"v1"}, Resources: []string{"configmaps", "widgets"}}
	for _, p := range policies {
		policy := &admissionregistrationv1.MutatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: p.name},
			Spec: admissionregistrationv1.MutatingAdmissionPolicySpec{
				MatchConstraints: &admissionregistrationv1.MatchResources{NamespaceSelector: nsSel, ObjectSelector: objSel,
					ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{RuleWithOperations: admissionregistrationv1.RuleWithOperations{
						Operations: create, Rule: rule,
					}}}},
				FailurePolicy:      ptr.To(admissionregistrationv1.Ignore),
				Mutations:          []admissionregistrationv1.Mutation{{PatchType: admissionregistrationv1.PatchTypeApplyConfiguration, ApplyConfiguration: &admissionregistrationv1.ApplyConfiguration{Expression: p.expr}}},
				ReinvocationPolicy: reinvocationPolicy(p.ifNeeded),
			}}
		if _, err := cs.AdmissionregistrationV1().MutatingAdmissionPolicies().Create(ctx, policy, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		binding := &admissionregistrationv1.MutatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: p.name},
			Spec: admissionregistrationv1.MutatingAdmissionPolicyBindingSpec{PolicyName: p.name}}
		if _, err := cs.AdmissionregistrationV1().MutatingAdmissionPolicyBindings().Create(ctx, binding, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if len(hooks) == 0 {
		return
	}
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	for i, hs := range hooks {
		url := h.srv.URL + hs.path
		never := admissionregistrationv1.NeverReinvocationPolicy
		w := admissionregistrationv1.MutatingWebhook{Name: fmt.Sprintf("w%d.%s.kapi.test", i, ns),
			ClientConfig:      admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: h.ca},
			Rules:             []admissionregistrationv1.RuleWithOperations{{Operations: create, Rule: rule}},
			NamespaceSelector: nsSel, ObjectSelector: objSel, ReinvocationPolicy: &never,
			SideEffects: ptr.To(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}
		if hs.ifNeeded {
			w.ReinvocationPolicy = ptr.To(admissionregistrationv1.IfNeededReinvocationPolicy)
		}
		cfg.Webhooks = append(cfg.Webhooks, w)
	}
	if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestReinvocationAcrossPlugins runs the server's admission chain over webhooks
// and MutatingAdmissionPolicies: MutatingAdmissionPolicy runs before
// MutatingAdmissionWebhook, and one reinvocation pass covers both.
func TestReinvocationAcrossPlugins(t *testing.T) {
	in := servertest.Start(t)
	cs := clientFor(t, in)
	h := startReinvocationHooks(t)
	ctx := context.Background()
	cases := []struct {
		name     string
		policies []policySpec
		hooks    []hookSpec
		// want are labels and annotations of the admitted object ("" for absent).
		wantLabels, wantAnnotations map[string]string
		// wantCalls are the calls of each <hook> of the paths.
		wantCalls map[string]int
		// widget admits a custom resource rather than a configmap.
		widget bool
	}{
		{name: "webhook IfNeeded reinvoked after a policy reinvoked in the second pass changed the object",
			policies:        []policySpec{{name: "a-count", expr: countAnnotation("pc"), ifNeeded: true}},
			hooks:           []hookSpec{{path: "/a/count/wc", ifNeeded: true}},
			wantLabels:      map[string]string{"wc": "2"},
			wantAnnotations: map[string]string{"pc": "2"},
			wantCalls:       map[string]int{"a": 2}},
		{name: "webhook IfNeeded not reinvoked when only a policy before it changed the object",
			policies:        []policySpec{{name: "b-count", expr: countAnnotation("pc")}},
			hooks:           []hookSpec{{path: "/b/count/wc", ifNeeded: true}},
			wantLabels:      map[string]string{"wc": "1"},
			wantAnnotations: map[string]string{"pc": "1"},
			wantCalls:       map[string]int{"b": 1}},
		{name: "policy IfNeeded reinvoked after a webhook changed the object",
			policies:        []policySpec{{name: "c-copy", expr: copyLabel, ifNeeded: true}},
			hooks:           []hookSpec{{path: "/c/count/hook"}},
			wantLabels:      map[string]string{"hook": "1"},
			wantAnnotations: map[string]string{"saw-hook": "1"},
			wantCalls:       map[string]int{"c": 1}},
		{name: "policy Never not reinvoked after a webhook changed the object",
			policies:        []policySpec{{name: "d-copy", expr: copyLabel}},
			hooks:           []hookSpec{{path: "/d/count/hook"}},
			wantLabels:      map[string]string{"hook": "1"},
			wantAnnotations: map[string]string{"saw-hook": ""},
			wantCalls:       map[string]int{"d": 1}},
		{name: "nothing changed: webhooks called once",
			hooks:     []hookSpec{{path: "/e1/noop", ifNeeded: true}, {path: "/e2/noop"}},
			wantCalls: map[string]int{"e1": 1, "e2": 1}},
		{name: "a single second pass though the object keeps changing",
			policies:        []policySpec{{name: "f-count", expr: countAnnotation("pc"), ifNeeded: true}},
			hooks:           []hookSpec{{path: "/f1/count/n", ifNeeded: true}, {path: "/f2/count/n", ifNeeded: true}},
			wantLabels:      map[string]string{"n": "4"},
			wantAnnotations: map[string]string{"pc": "2"},
			wantCalls:       map[string]int{"f1": 2, "f2": 2}},
		{name: "a custom resource: webhook IfNeeded reinvoked after a policy changed the object",
			policies:        []policySpec{{name: "g-count", expr: countAnnotation("pc"), ifNeeded: true}},
			hooks:           []hookSpec{{path: "/g/count/wc", ifNeeded: true}},
			wantLabels:      map[string]string{"wc": "2"},
			wantAnnotations: map[string]string{"pc": "2"},
			wantCalls:       map[string]int{"g": 2},
			widget:          true},
	}
	dyn := dynamic.NewForConfigOrDie(in.Config)
	if _, err := dyn.Resource(crdGVR).Create(ctx, widgetsCRD(), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for i, tc := range cases {
		installReinvocationCase(t, cs, h, fmt.Sprintf("case-%d", i), false, tc.policies, tc.hooks)
	}
	// The plugins follow their configurations in order: once they apply the
	// probes' policy and webhook, created last, they see every case's.
	installReinvocationCase(t, cs, h, "probe", true,
		[]policySpec{{name: "zz-probe", expr: `Object{metadata: Object.metadata{annotations: {"probed": "yes"}}}`}},
		[]hookSpec{{path: "/probe/count/probed"}})
	probe := 0
	err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
		probe++
		got, err := cs.CoreV1().ConfigMaps("default").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("probe-%d", probe), Labels: map[string]string{"probe": "true"}}}, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
		return err == nil && got.Annotations["probed"] == "yes" && got.Labels["probed"] != "", nil
	})
	if err != nil {
		t.Fatalf("policies and webhooks never took effect: %v", err)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ns, dry := fmt.Sprintf("case-%d", i), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
			meta := metav1.ObjectMeta{Name: "obj", Labels: map[string]string{"reinvocation": "measured"}}
			var got metav1.Object
			var err error
			if tc.widget {
				got, err = createWidget(ctx, dyn, ns, meta, dry)
			} else {
				got, err = cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta}, dry)
			}
			if err != nil {
				t.Fatal(err)
			}
			for k, want := range tc.wantLabels {
				if v := got.GetLabels()[k]; v != want {
					t.Errorf("label %s = %q, want %q", k, v, want)
				}
			}
			for k, want := range tc.wantAnnotations {
				if v := got.GetAnnotations()[k]; v != want {
					t.Errorf("annotation %s = %q, want %q", k, v, want)
				}
			}
			for hook, want := range tc.wantCalls {
				if n := h.callsOf(hook); n != want {
					t.Errorf("webhook %s called %d times, want %d", hook, n, want)
				}
			}
		})
	}
}

var (
	crdGVR     = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	widgetsGVR = schema.GroupVersionResource{Group: "reinvoke.kapi.test", Version: "v1", Resource: "widgets"}
)

// widgetsCRD serves namespaced widgets with a free-form spec.
func widgetsCRD() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": "widgets." + widgetsGVR.Group},
		"spec": map[string]any{
			"group": widgetsGVR.Group, "scope": "Namespaced",
			"names": map[string]any{"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true, "schema": map[string]any{
				"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{
					"spec": map[string]any{"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}}}},
		},
	}}
}

// createWidget creates a widget with meta, retrying while the new CRD is not yet
// served.
func createWidget(ctx context.Context, dyn dynamic.Interface, ns string, meta metav1.ObjectMeta, opts metav1.CreateOptions) (metav1.Object, error) {
	w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": widgetsGVR.GroupVersion().String(), "kind": "Widget",
		"spec": map[string]any{"size": int64(1)}}}
	w.SetName(meta.Name)
	w.SetLabels(meta.Labels)
	var got *unstructured.Unstructured
	var err error
	_ = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err = dyn.Resource(widgetsGVR).Namespace(ns).Create(ctx, w, opts)
		return !apierrors.IsNotFound(err), nil
	})
	if err != nil {
		return nil, err
	}
	return got, nil
}
