package webhook

import (
	"context"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

// hookServer is a real TLS webhook on loopback whose answers depend on the path.
type hookServer struct {
	srv *httptest.Server
	ca  []byte
	// mu guards calls.
	mu    sync.Mutex
	calls map[string][]*admissionv1.AdmissionRequest
}

func startHookServer(t *testing.T) *hookServer {
	h := &hookServer{calls: map[string][]*admissionv1.AdmissionRequest{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	return h
}

func (h *hookServer) callsTo(path string) []*admissionv1.AdmissionRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[path]
}

func (h *hookServer) serve(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.calls[r.URL.Path] = append(h.calls[r.URL.Path], review.Request)
	n := len(h.calls[r.URL.Path])
	h.mu.Unlock()
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	jsonPatch := admissionv1.PatchTypeJSONPatch
	switch r.URL.Path {
	case "/label":
		resp.Patch = labelPatch(review.Request.Object.Raw, "mutated", "yes")
		resp.PatchType = &jsonPatch
	case "/label-count":
		resp.Patch = labelPatch(review.Request.Object.Raw, "count", fmt.Sprint(n))
		resp.PatchType = &jsonPatch
	case "/deny":
		resp.Allowed = false
		resp.Result = &metav1.Status{Code: http.StatusForbidden, Reason: metav1.StatusReasonForbidden, Message: "no configmaps today"}
	case "/deny-plain":
		resp.Allowed = false
	case "/slow":
		time.Sleep(2500 * time.Millisecond)
	case "/warn":
		resp.Warnings = []string{"be careful"}
		resp.AuditAnnotations = map[string]string{"seen": "true"}
	case "/redirect":
		http.Redirect(w, r, "/deny", http.StatusTemporaryRedirect)
		return
	case "/wrong-uid":
		resp.UID = "other"
	}
	review.Response = resp
	review.Request = nil
	_ = json.NewEncoder(w).Encode(&review)
}

// labelPatch adds label k=v, creating metadata.labels when absent.
func labelPatch(raw []byte, k, v string) []byte {
	var obj struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
	}
	_ = json.Unmarshal(raw, &obj)
	var ops []map[string]any
	if obj.Metadata.Labels == nil {
		ops = append(ops, map[string]any{"op": "add", "path": "/metadata/labels", "value": map[string]string{}})
	}
	ops = append(ops, map[string]any{"op": "add", "path": "/metadata/labels/" + k, "value": v})
	out, _ := json.Marshal(ops)
	return out
}

// env is the API with both webhook plugins in its chain.
type env struct {
	*admissiontest.Env
	mutating   *Mutating
	validating *Validating
	hooks      *hookServer
}

type chain struct{ m, v endpoints.Admission }

func (c chain) Mutate(ctx context.Context, a *endpoints.Attributes) error { return c.m.Mutate(ctx, a) }
func (c chain) Validate(ctx context.Context, a *endpoints.Attributes) error {
	return c.v.Validate(ctx, a)
}

func startEnv(t *testing.T) *env {
	e := &env{hooks: startHookServer(t)}
	e.Env = admissiontest.Start(t, func(ctx context.Context, ae *admissiontest.Env) endpoints.Admission {
		base := Config{
			Scheme: ae.Scheme, Resources: ae.Resources,
			Namespaces: NamespacesFrom(ae.Store(t, schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})),
		}
		mcfg, vcfg := base, base
		mcfg.Configurations = ae.Store(t, admissionregistrationv1.SchemeGroupVersion.WithResource("mutatingwebhookconfigurations"))
		vcfg.Configurations = ae.Store(t, admissionregistrationv1.SchemeGroupVersion.WithResource("validatingwebhookconfigurations"))
		e.mutating = NewMutating(mcfg)
		e.validating = NewValidating(vcfg)
		e.mutating.Run(ctx)
		e.validating.Run(ctx)
		return chain{m: e.mutating, v: e.validating}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.mutating.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.validating.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// waitFor polls until the plugin's cache holds n configurations.
func waitFor(t *testing.T, p *plugin, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(p.cache.List()) != n {
		if time.Now().After(deadline) {
			t.Fatalf("cache holds %d configurations, want %d", len(p.cache.List()), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) namespace(t *testing.T, name string, labels map[string]string) {
	t.Helper()
	_, err := e.Client.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func (e *env) url(path string) *string {
	u := e.hooks.srv.URL + path
	return &u
}

func ptr[T any](v T) *T { return &v }

// validatingHook is a webhook on configmaps CREATE, tuned by the case.
func (e *env) validatingHook(name, path string, tune func(*admissionregistrationv1.ValidatingWebhook)) admissionregistrationv1.ValidatingWebhook {
	w := admissionregistrationv1.ValidatingWebhook{
		Name:         name,
		ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: e.url(path), CABundle: e.hooks.ca},
		Rules: []admissionregistrationv1.RuleWithOperations{{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		}},
		SideEffects:             ptr(admissionregistrationv1.SideEffectClassNone),
		AdmissionReviewVersions: []string{"v1"},
		TimeoutSeconds:          ptr(int32(1)),
	}
	if tune != nil {
		tune(&w)
	}
	return w
}

func configMap(name string, labels map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}
}

func TestValidatingWebhooks(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "prod", map[string]string{"env": "prod"})
	e.namespace(t, "dev", map[string]string{"env": "dev"})
	ctx := context.Background()
	cases := []struct {
		name     string
		hook     func() admissionregistrationv1.ValidatingWebhook
		ns       string
		obj      *corev1.ConfigMap
		dryRun   bool
		wantCode int32
		wantMsg  string
	}{
		{name: "deny with the webhook's code and message", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("deny.kapi.test", "/deny", nil)
			},
			wantCode: 403, wantMsg: `admission webhook "deny.kapi.test" denied the request: no configmaps today`},
		{name: "deny without explanation is a 400", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("plain.kapi.test", "/deny-plain", nil)
			},
			wantCode: 400, wantMsg: `admission webhook "plain.kapi.test" denied the request without explanation`},
		{name: "slow webhook under Fail times out", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("slow.kapi.test", "/slow", nil)
			},
			wantCode: 500, wantMsg: `failed calling webhook "slow.kapi.test": failed to call webhook: Post`},
		{name: "slow webhook under Ignore is skipped", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("slow.kapi.test", "/slow", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.FailurePolicy = ptr(admissionregistrationv1.Ignore)
				})
			}},
		{name: "webhook down under Fail", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("down.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.ClientConfig.URL = ptr("https://127.0.0.1:1/deny")
				})
			},
			wantCode: 500, wantMsg: `Internal error occurred: failed calling webhook "down.kapi.test": failed to call webhook: Post "https://127.0.0.1:1/deny?timeout=1s"`},
		{name: "webhook down under Ignore", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("down.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.ClientConfig.URL = ptr("https://127.0.0.1:1/deny")
					w.FailurePolicy = ptr(admissionregistrationv1.Ignore)
				})
			}},
		{name: "untrusted certificate fails", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("untrusted.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.ClientConfig.CABundle = nil
				})
			},
			wantCode: 500, wantMsg: "certificate"},
		{name: "redirects are not followed", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("redirect.kapi.test", "/redirect", nil)
			},
			wantCode: 500, wantMsg: "the server responded with status 307"},
		{name: "response for another uid is refused", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("uid.kapi.test", "/wrong-uid", nil)
			},
			wantCode: 500, wantMsg: `received invalid webhook response: expected response.uid=`},
		{name: "namespaceSelector matches", ns: "prod", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("ns.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
				})
			},
			wantCode: 403, wantMsg: "no configmaps today"},
		{name: "namespaceSelector does not match", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("ns.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.NamespaceSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}
				})
			}},
		{name: "objectSelector matches", ns: "dev", obj: configMap("a", map[string]string{"deny": "yes"}),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("obj.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"deny": "yes"}}
				})
			},
			wantCode: 403},
		{name: "objectSelector does not match", ns: "dev", obj: configMap("a", map[string]string{"deny": "no"}),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("obj.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"deny": "yes"}}
				})
			}},
		{name: "matchConditions true calls the webhook", ns: "dev", obj: configMap("bad-one", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("cond.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.MatchConditions = []admissionregistrationv1.MatchCondition{
						{Name: "bad-names", Expression: "object.metadata.name.startsWith('bad-')"},
						{Name: "admins", Expression: "request.userInfo.username == 'admin'"},
					}
				})
			},
			wantCode: 403},
		{name: "matchConditions false skips the webhook", ns: "dev", obj: configMap("good-one", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("cond.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "bad-names", Expression: "object.metadata.name.startsWith('bad-')"}}
				})
			}},
		{name: "matchConditions error under Fail is forbidden", ns: "dev", obj: configMap("x", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("cond.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "missing", Expression: "object.data.nothere == 'x'"}}
				})
			},
			wantCode: 403, wantMsg: `configmaps "x" is forbidden: matchCondition "missing"`},
		{name: "dry run with NoneOnDryRun calls the webhook", ns: "dev", obj: configMap("a", nil), dryRun: true,
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("effects.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.SideEffects = ptr(admissionregistrationv1.SideEffectClassNoneOnDryRun)
				})
			},
			wantCode: 403},
		{name: "rule for another operation does not match", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("op.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.Rules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
				})
			}},
		{name: "v1beta1 reviews", ns: "dev", obj: configMap("a", nil),
			hook: func() admissionregistrationv1.ValidatingWebhook {
				return e.validatingHook("beta.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
					w.AdmissionReviewVersions = []string{"v1beta1"}
				})
			},
			wantCode: 403},
	}
	cfgs := e.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "case"},
				Webhooks: []admissionregistrationv1.ValidatingWebhook{tc.hook()}}
			if _, err := cfgs.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, e.validating.p, 1)
			defer func() {
				if err := cfgs.Delete(ctx, "case", metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
				waitFor(t, e.validating.p, 0)
			}()
			opts := metav1.CreateOptions{}
			if tc.dryRun {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			obj := tc.obj.DeepCopy()
			obj.GenerateName = "cm-"
			if obj.Name != "" && tc.wantCode == 0 {
				obj.Name = ""
			}
			_, err := e.Client.CoreV1().ConfigMaps(tc.ns).Create(ctx, obj, opts)
			checkStatus(t, err, tc.wantCode, tc.wantMsg)
		})
	}
}

// checkStatus compares a client error with the wanted Status code and message part.
func checkStatus(t *testing.T, err error, code int32, msg string) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	var se apierrors.APIStatus
	if err == nil || !asStatus(err, &se) {
		t.Fatalf("got %v, want a Status error with code %d", err, code)
	}
	if got := se.Status().Code; got != code {
		t.Errorf("code = %d, want %d (%s)", got, code, se.Status().Message)
	}
	if !strings.Contains(se.Status().Message, msg) {
		t.Errorf("message = %q, want it to contain %q", se.Status().Message, msg)
	}
}

func asStatus(err error, out *apierrors.APIStatus) bool {
	s, ok := err.(apierrors.APIStatus)
	if ok {
		*out = s
	}
	return ok
}

// warnings collects the Warning headers a client receives.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func TestMutatingWebhooks(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	ctx := context.Background()
	rule := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
	}}
	hook := func(name, path string) admissionregistrationv1.MutatingWebhook {
		return admissionregistrationv1.MutatingWebhook{Name: name,
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: e.url(path), CABundle: e.hooks.ca},
			Rules:        rule, SideEffects: ptr(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}
	}
	reinvoked := hook("count.kapi.test", "/label-count")
	reinvoked.ReinvocationPolicy = ptr(admissionregistrationv1.IfNeededReinvocationPolicy)
	cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "mutators"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{reinvoked, hook("label.kapi.test", "/label"), hook("warn.kapi.test", "/warn")}}
	if _, err := e.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.mutating.p, 1)

	w := &warnings{}
	c := rest.CopyConfig(e.Config)
	c.WarningHandler = w
	client := kubernetes.NewForConfigOrDie(c)
	drain(e.Annotations)
	created, err := client.CoreV1().ConfigMaps("dev").Create(ctx, configMap("patched", nil), metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ann := <-e.Annotations
	for _, tc := range []struct {
		name, got, want string
	}{
		{"label from the patching webhook", created.Labels["mutated"], "yes"},
		{"reinvoked webhook ran twice", created.Labels["count"], "2"},
		{"webhook warning reaches the client", strings.Join(w.msgs, ","), "be careful"},
		{"audit annotation is keyed by webhook", ann["warn.kapi.test/seen"], "true"},
		{"mutation audit annotation", ann["mutation.webhook.admission.k8s.io/round_0_index_1"], `{"configuration":"mutators","webhook":"label.kapi.test","mutated":true}`},
		{"review carries the user", e.hooks.callsTo("/label")[0].UserInfo.Username, "admin"},
		{"review carries the operation", string(e.hooks.callsTo("/label")[0].Operation), "CREATE"},
		{"review carries the namespace", e.hooks.callsTo("/label")[0].Namespace, "dev"},
		{"review carries the options", string(e.hooks.callsTo("/label")[0].Options.Raw), `{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}`},
		{"review is not a dry run", fmt.Sprint(*e.hooks.callsTo("/label")[0].DryRun), "false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
	t.Run("update is patched too", func(t *testing.T) {
		created.Labels = nil
		updated, err := client.CoreV1().ConfigMaps("dev").Update(ctx, created, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Labels["mutated"] != "yes" {
			t.Errorf("labels = %v", updated.Labels)
		}
		reqs := e.hooks.callsTo("/label")
		if last := reqs[len(reqs)-1]; last.Operation != admissionv1.Update || len(last.OldObject.Raw) == 0 {
			t.Errorf("update review: operation %s, oldObject %d bytes", last.Operation, len(last.OldObject.Raw))
		}
	})
}

func TestEquivalentMatchPolicy(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	ctx := context.Background()
	hook := e.validatingHook("hpa.kapi.test", "/warn", func(w *admissionregistrationv1.ValidatingWebhook) {
		w.Rules[0].APIGroups = []string{"autoscaling"}
		w.Rules[0].APIVersions = []string{"v1"}
		w.Rules[0].Resources = []string{"horizontalpodautoscalers"}
	})
	exact := hook
	exact.Name = "exact.kapi.test"
	exact.ClientConfig.URL = e.url("/exact")
	exact.MatchPolicy = ptr(admissionregistrationv1.Exact)
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "hpa"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{hook, exact}}
	if _, err := e.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.validating.p, 1)
	hpa := &autoscalingv2.HorizontalPodAutoscaler{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{MaxReplicas: 3,
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"}}}
	if _, err := e.Client.AutoscalingV2().HorizontalPodAutoscalers("dev").Create(ctx, hpa, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	calls := e.hooks.callsTo("/warn")
	if len(calls) != 1 {
		t.Fatalf("equivalent webhook called %d times, want 1", len(calls))
	}
	if n := len(e.hooks.callsTo("/exact")); n != 0 {
		t.Errorf("exact webhook called %d times, want 0", n)
	}
	req := calls[0]
	var sent autoscalingv1.HorizontalPodAutoscaler
	if err := json.Unmarshal(req.Object.Raw, &sent); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, got, want string }{
		{"kind is the webhook's version", req.Kind.Version, "v1"},
		{"resource is the webhook's version", req.Resource.Version, "v1"},
		{"requestKind is the request's version", req.RequestKind.Version, "v2"},
		{"object is converted", sent.APIVersion, "autoscaling/v1"},
		{"object keeps its content", fmt.Sprint(sent.Spec.MaxReplicas), "3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}

func TestDryRunSideEffects(t *testing.T) {
	cases := []struct {
		name    string
		effects *admissionregistrationv1.SideEffectClass
		wantErr string
	}{
		{name: "None is called", effects: ptr(admissionregistrationv1.SideEffectClassNone)},
		{name: "NoneOnDryRun is called", effects: ptr(admissionregistrationv1.SideEffectClassNoneOnDryRun)},
		{name: "Some is refused", effects: ptr(admissionregistrationv1.SideEffectClassSome), wantErr: `admission webhook "x" does not support dry run`},
		{name: "unset is refused", wantErr: `admission webhook "x" does not support dry run`},
	}
	hooks := startHookServer(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := &plugin{}
			u := hooks.srv.URL + "/warn"
			h := &hook{name: "x", sideEffects: tc.effects, timeout: time.Second, reviewVersions: []string{"v1"},
				clientConfig: admissionregistrationv1.WebhookClientConfig{URL: &u, CABundle: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hooks.srv.Certificate().Raw})}}
			a := &endpoints.Attributes{Operation: "CREATE", Resource: schema.GroupVersionResource{Version: "v1", Resource: "configmaps"},
				Kind: schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}, DryRun: true}
			_, err := p.call(context.Background(), &invocation{hook: h, kind: a.Kind, gvr: a.Resource}, newAttempt(context.Background(), a))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				reqs := hooks.callsTo("/warn")
				if !*reqs[len(reqs)-1].DryRun {
					t.Error("review does not say dryRun")
				}
				return
			}
			if !apierrors.IsBadRequest(err) || err.Error() != tc.wantErr {
				t.Errorf("got %v, want 400 %q", err, tc.wantErr)
			}
		})
	}
}

// drain empties the annotations of earlier requests.
func drain(ch chan map[string]string) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestConfigurationsAreExempt(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	ctx := context.Background()
	denyAll := e.validatingHook("deny-all.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
		w.Rules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.OperationAll}
		w.Rules[0].APIGroups, w.Rules[0].APIVersions, w.Rules[0].Resources = []string{"*"}, []string{"*"}, []string{"*/*"}
	})
	cfgs := e.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations()
	if _, err := cfgs.Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "deny-all"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{denyAll}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.validating.p, 1)
	cases := []struct {
		name     string
		do       func() error
		wantCode int32
	}{
		{"ordinary objects are denied", func() error {
			_, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, configMap("x", nil), metav1.CreateOptions{})
			return err
		}, 403},
		{"policies are exempt", func() error {
			_, err := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
				ObjectMeta: metav1.ObjectMeta{Name: "p"}, Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{
					MatchConstraints: &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
						RuleWithOperations: denyAll.Rules[0]}}},
					Validations: []admissionregistrationv1.Validation{{Expression: "true"}}}}, metav1.CreateOptions{})
			return err
		}, 0},
		{"the blocking configuration can be deleted", func() error {
			return cfgs.Delete(ctx, "deny-all", metav1.DeleteOptions{})
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkStatus(t, tc.do(), tc.wantCode, "")
		})
	}
}

func TestDeleteReview(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	ctx := context.Background()
	if _, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, configMap("keep", map[string]string{"protected": "yes"}), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	hook := e.validatingHook("no-delete.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
		w.Rules[0].Operations = []admissionregistrationv1.OperationType{admissionregistrationv1.Delete}
		w.ObjectSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"protected": "yes"}}
	})
	if _, err := e.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, &admissionregistrationv1.ValidatingWebhookConfiguration{
		ObjectMeta: metav1.ObjectMeta{Name: "deletes"}, Webhooks: []admissionregistrationv1.ValidatingWebhook{hook}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.validating.p, 1)
	err := e.Client.CoreV1().ConfigMaps("dev").Delete(ctx, "keep", metav1.DeleteOptions{})
	checkStatus(t, err, 403, `admission webhook "no-delete.kapi.test" denied the request: no configmaps today`)
	calls := e.hooks.callsTo("/deny")
	if len(calls) == 0 {
		t.Fatal("webhook not called")
	}
	req := calls[len(calls)-1]
	for _, tc := range []struct{ name, got, want string }{
		{"operation", string(req.Operation), "DELETE"},
		{"name", req.Name, "keep"},
		{"no object", fmt.Sprint(len(req.Object.Raw)), "0"},
		{"old object is sent", fmt.Sprint(len(req.OldObject.Raw) > 0), "true"},
		{"options", string(req.Options.Raw), `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.got != tc.want {
				t.Errorf("got %q, want %q", tc.got, tc.want)
			}
		})
	}
}
