package policy

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/endpoints"
)

type env struct {
	*admissiontest.Env
	plugin *Plugin
}

// allowGets is the authorizer CEL checks see: get is allowed, the rest denied.
func allowGets(context.Context) celenv.AuthorizeFunc {
	return func(c celenv.AuthzCheck) (string, string, error) {
		if c.Verb == "get" {
			return "allow", "gets are fine", nil
		}
		return "deny", "only gets", nil
	}
}

func startEnv(t testing.TB) *env {
	e := &env{}
	e.Env = admissiontest.Start(t, func(ctx context.Context, ae *admissiontest.Env) endpoints.Admission {
		group := admissionregistrationv1.SchemeGroupVersion
		e.plugin = New(Config{
			Scheme: ae.Scheme, Resources: ae.Resources,
			Policies:     ae.Store(t, group.WithResource("validatingadmissionpolicies")),
			Bindings:     ae.Store(t, group.WithResource("validatingadmissionpolicybindings")),
			PolicyStatus: ae.Store(t, group.WithResource("validatingadmissionpolicies")),
			Namespaces:   webhook.NamespacesFrom(ae.Store(t, schema.GroupVersionResource{Version: "v1", Resource: "namespaces"})),
			Params: ParamsFrom(ae.Resources, func(gvr schema.GroupVersionResource) webhook.Reader {
				if st := ae.Stores[gvr]; st != nil {
					return st
				}
				return nil
			}),
			Authorizer: allowGets,
		})
		e.plugin.Run(ctx)
		return e.plugin
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.plugin.WaitForSync(ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// waitBound polls until n bindings are bound to policies; with n 0, until the
// plugin has also seen every policy and binding deleted, so that a next policy of
// the same name is not bound to the last one's binding or policy.
func (e *env) waitBound(t testing.TB, n int) {
	t.Helper()
	waitFor(t, n, func() int { return len(e.plugin.current()) }, e.plugin.policies, e.plugin.bindings)
}

// waitFor polls until bound reports n, and the caches are empty when n is 0.
func waitFor(t testing.TB, n int, bound func() int, caches ...*webhook.Cache) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := bound()
		left := 0
		if n == 0 {
			for _, c := range caches {
				left += len(c.List())
			}
		}
		if got == n && left == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d bound policies and %d policies or bindings left, want %d bound", got, left, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (e *env) mustCreate(t testing.TB, obj any) {
	t.Helper()
	ctx := context.Background()
	var err error
	switch o := obj.(type) {
	case *corev1.Namespace:
		_, err = e.Client.CoreV1().Namespaces().Create(ctx, o, metav1.CreateOptions{})
	case *corev1.ConfigMap:
		_, err = e.Client.CoreV1().ConfigMaps(o.Namespace).Create(ctx, o, metav1.CreateOptions{})
	}
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

func ptr[T any](v T) *T { return &v }

func configMapsRule() *admissionregistrationv1.MatchResources {
	return &admissionregistrationv1.MatchResources{ResourceRules: []admissionregistrationv1.NamedRuleWithOperations{{
		RuleWithOperations: admissionregistrationv1.RuleWithOperations{
			Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create, admissionregistrationv1.Update},
			Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
		}}}}
}

func cm(ns, name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}
}

// warnings collects the Warning headers a client receives.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, text)
}

func TestValidatingAdmissionPolicy(t *testing.T) {
	e := startEnv(t)
	e.mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "dev", Labels: map[string]string{"env": "dev"}}})
	e.mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "prod", Labels: map[string]string{"env": "prod"}}})
	e.mustCreate(t, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "params"}})
	e.mustCreate(t, cm("params", "limits", map[string]string{"forbidden": "evil"}))
	e.mustCreate(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "params", Name: "sel-a", Labels: map[string]string{"rule": "yes"}}, Data: map[string]string{"forbidden": "alpha"}})
	e.mustCreate(t, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "params", Name: "sel-b", Labels: map[string]string{"rule": "yes"}}, Data: map[string]string{"forbidden": "beta"}})
	ctx := context.Background()
	cmParam := &admissionregistrationv1.ParamKind{APIVersion: "v1", Kind: "ConfigMap"}

	cases := []struct {
		name       string
		policy     admissionregistrationv1.ValidatingAdmissionPolicySpec
		binding    admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec
		obj        *corev1.ConfigMap
		wantCode   int32
		wantMsg    string
		wantWarn   string
		wantAudit  string
		wantReason metav1.StatusReason
	}{
		{name: "deny with message",
			policy:   admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "!has(object.data) || size(object.data) < 2", Message: "too many keys"}}},
			obj:      cm("dev", "big", map[string]string{"a": "1", "b": "2"}),
			wantCode: 422, wantReason: metav1.StatusReasonInvalid,
			wantMsg: `configmaps "big" is forbidden: ValidatingAdmissionPolicy 'case' with binding 'case' denied request: too many keys`},
		{name: "passing validation admits",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "!has(object.data) || size(object.data) < 2"}}},
			obj:    cm("dev", "small", map[string]string{"a": "1"})},
		{name: "default message is the expression",
			policy:   admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != 'x'"}}},
			obj:      cm("dev", "x", nil),
			wantCode: 422, wantMsg: "denied request: failed expression: object.metadata.name != 'x'"},
		{name: "messageExpression and reason",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{
				Expression: "object.metadata.name != 'x'", Message: "static", Reason: ptr(metav1.StatusReasonForbidden),
				MessageExpression: "'name ' + object.metadata.name + ' is taken by ' + request.userInfo.username"}}},
			obj:      cm("dev", "x", nil),
			wantCode: 403, wantReason: metav1.StatusReasonForbidden, wantMsg: "denied request: name x is taken by admin"},
		{name: "Warn action admits with a warning",
			policy:   admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != 'x'", Message: "x is discouraged"}}},
			binding:  admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Warn}},
			obj:      cm("dev", "x", nil),
			wantWarn: "Validation failed for ValidatingAdmissionPolicy 'case' with binding 'case': x is discouraged"},
		{name: "Audit action admits with an audit annotation",
			policy:    admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != 'x'", Message: "x is audited"}}},
			binding:   admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Audit}},
			obj:       cm("dev", "x", nil),
			wantAudit: `[{"message":"x is audited","policy":"case","binding":"case","expressionIndex":0,"validationActions":["Audit"]}]`},
		{name: "params by name deny",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: cmParam,
				Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != params.data.forbidden", MessageExpression: "'forbidden by ' + params.metadata.name"}}},
			binding:  admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{Name: "limits", Namespace: "params", ParameterNotFoundAction: ptr(admissionregistrationv1.DenyAction)}},
			obj:      cm("dev", "evil", nil),
			wantCode: 422, wantMsg: "denied request: forbidden by limits"},
		{name: "params by name admit",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: cmParam,
				Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != params.data.forbidden"}}},
			binding: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{Name: "limits", Namespace: "params", ParameterNotFoundAction: ptr(admissionregistrationv1.DenyAction)}},
			obj:     cm("dev", "good", nil)},
		{name: "params by selector: every param is checked",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: cmParam,
				Validations: []admissionregistrationv1.Validation{{Expression: "object.metadata.name != params.data.forbidden", MessageExpression: "'forbidden by ' + params.metadata.name"}}},
			binding: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{Namespace: "params",
				Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"rule": "yes"}}, ParameterNotFoundAction: ptr(admissionregistrationv1.AllowAction)}},
			obj:      cm("dev", "beta", nil),
			wantCode: 422, wantMsg: "denied request: forbidden by sel-b"},
		{name: "missing param with Deny",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: cmParam,
				Validations: []admissionregistrationv1.Validation{{Expression: "true"}}},
			binding:  admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{Name: "nothere", Namespace: "params", ParameterNotFoundAction: ptr(admissionregistrationv1.DenyAction)}},
			obj:      cm("dev", "a", nil),
			wantCode: 422, wantMsg: "denied request: failed to configure binding: no params found for policy binding with `Deny` parameterNotFoundAction"},
		{name: "missing param with Allow",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{ParamKind: cmParam,
				Validations: []admissionregistrationv1.Validation{{Expression: "false"}}},
			binding: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{ParamRef: &admissionregistrationv1.ParamRef{Name: "nothere", Namespace: "params", ParameterNotFoundAction: ptr(admissionregistrationv1.AllowAction)}},
			obj:     cm("dev", "a", nil)},
		{name: "variables",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				Variables:   []admissionregistrationv1.Variable{{Name: "keys", Expression: "has(object.data) ? object.data.size() : 0"}, {Name: "limit", Expression: "variables.keys < 1"}},
				Validations: []admissionregistrationv1.Validation{{Expression: "variables.limit", MessageExpression: "'has ' + string(variables.keys) + ' keys'"}}},
			obj:      cm("dev", "a", map[string]string{"k": "v"}),
			wantCode: 422, wantMsg: "denied request: has 1 keys"},
		{name: "namespaceObject",
			policy:   admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "namespaceObject.metadata.labels.env != 'prod'", Message: "not in prod"}}},
			obj:      cm("prod", "a", nil),
			wantCode: 422, wantMsg: "not in prod"},
		{name: "binding namespaceSelector narrows",
			policy:  admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "false"}}},
			binding: admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{MatchResources: &admissionregistrationv1.MatchResources{NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"env": "prod"}}}},
			obj:     cm("dev", "a", nil)},
		{name: "excludeResourceRules by name",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				MatchConstraints: func() *admissionregistrationv1.MatchResources {
					m := configMapsRule()
					m.ExcludeResourceRules = []admissionregistrationv1.NamedRuleWithOperations{{ResourceNames: []string{"exempt"}, RuleWithOperations: m.ResourceRules[0].RuleWithOperations}}
					return m
				}(),
				Validations: []admissionregistrationv1.Validation{{Expression: "false"}}},
			obj: cm("dev", "exempt", nil)},
		{name: "matchConditions false skips",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{
				MatchConditions: []admissionregistrationv1.MatchCondition{{Name: "only-x", Expression: "object.metadata.name == 'x'"}},
				Validations:     []admissionregistrationv1.Validation{{Expression: "false"}}},
			obj: cm("dev", "y", nil)},
		{name: "runtime error under Fail denies",
			policy:   admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{{Expression: "object.data.missing == 'x'"}}},
			obj:      cm("dev", "a", map[string]string{"k": "v"}),
			wantCode: 422, wantMsg: "no such key: missing"},
		{name: "runtime error under Ignore admits",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{FailurePolicy: ptr(admissionregistrationv1.Ignore),
				Validations: []admissionregistrationv1.Validation{{Expression: "object.data.missing == 'x'"}}},
			obj: cm("dev", "a", map[string]string{"k": "v"})},
		{name: "authorizer checks",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{
				{Expression: "authorizer.group('').resource('secrets').namespace('dev').check('get').allowed()", Message: "get denied"},
				{Expression: "authorizer.group('').resource('secrets').check('delete').allowed()", MessageExpression: "authorizer.group('').resource('secrets').check('delete').reason()"}}},
			obj:      cm("dev", "a", nil),
			wantCode: 422, wantMsg: "denied request: only gets"},
		{name: "extension libraries",
			policy: admissionregistrationv1.ValidatingAdmissionPolicySpec{Validations: []admissionregistrationv1.Validation{
				{Expression: "object.metadata.name.upperAscii() == 'LIB' && isIP('10.0.0.1') && cidr('10.0.0.0/8').containsIP(ip('10.1.2.3')) && [3,1,2].sort() == [1,2,3] && math.greatest(1, 2) == 2 && sets.contains([1,2], [1]) && base64.encode(b'a') == 'YQ=='"}}},
			obj: cm("dev", "lib", nil)},
	}
	policies := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	bindings := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.policy
			if spec.MatchConstraints == nil {
				spec.MatchConstraints = configMapsRule()
			}
			bspec := tc.binding
			bspec.PolicyName = "case"
			if bspec.ValidationActions == nil {
				bspec.ValidationActions = []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}
			}
			if _, err := policies.Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "case"}, Spec: spec}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if _, err := bindings.Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{ObjectMeta: metav1.ObjectMeta{Name: "case"}, Spec: bspec}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			e.waitBound(t, 1)
			defer func() {
				_ = bindings.Delete(ctx, "case", metav1.DeleteOptions{})
				_ = policies.Delete(ctx, "case", metav1.DeleteOptions{})
				e.waitBound(t, 0)
			}()
			w := &warnings{}
			c := rest.CopyConfig(e.Config)
			c.WarningHandler = w
			client := kubernetes.NewForConfigOrDie(c)
			drain(e.Annotations)
			obj := tc.obj.DeepCopy()
			_, err := client.CoreV1().ConfigMaps(obj.Namespace).Create(ctx, obj, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			checkStatus(t, err, tc.wantCode, tc.wantMsg, tc.wantReason)
			if tc.wantWarn != "" && !strings.Contains(strings.Join(w.msgs, "\n"), tc.wantWarn) {
				t.Errorf("warnings %q, want %q", w.msgs, tc.wantWarn)
			}
			if tc.wantAudit != "" {
				ann := <-e.Annotations
				if got := ann[failureAnnotation]; got != tc.wantAudit {
					t.Errorf("audit annotation %q, want %q", got, tc.wantAudit)
				}
			}
		})
	}
}

func checkStatus(t *testing.T, err error, code int32, msg string, reason metav1.StatusReason) {
	t.Helper()
	if code == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	se, ok := err.(apierrors.APIStatus)
	if !ok {
		t.Fatalf("got %v, want a Status error with code %d", err, code)
	}
	st := se.Status()
	if st.Code != code {
		t.Errorf("code = %d, want %d (%s)", st.Code, code, st.Message)
	}
	if reason != "" && st.Reason != reason {
		t.Errorf("reason = %s, want %s", st.Reason, reason)
	}
	if !strings.Contains(st.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", st.Message, msg)
	}
}

func drain(ch chan map[string]string) {
	for {
		select {
		case <-ch:
		default:
			return
		}
	}
}

func TestTypeCheckingStatus(t *testing.T) {
	e := startEnv(t)
	ctx := context.Background()
	policies := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies()
	pol := &admissionregistrationv1.ValidatingAdmissionPolicy{ObjectMeta: metav1.ObjectMeta{Name: "broken"},
		Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: configMapsRule(),
			Validations: []admissionregistrationv1.Validation{{Expression: "true"}, {Expression: "object.metadata.name +"}, {Expression: "'not a bool'"}}}}
	if _, err := policies.Create(ctx, pol, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	var got *admissionregistrationv1.ValidatingAdmissionPolicy
	deadline := time.Now().Add(5 * time.Second)
	for {
		var err error
		got, err = policies.Get(ctx, "broken", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status.TypeChecking != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got.Status.TypeChecking == nil {
		t.Fatal("status.typeChecking was not written")
	}
	ws := got.Status.TypeChecking.ExpressionWarnings
	raw, _ := json.Marshal(ws)
	for _, tc := range []struct {
		name string
		ok   bool
	}{
		{"two warnings", len(ws) == 2},
		{"syntax error points at its expression", len(ws) > 0 && ws[0].FieldRef == "spec.validations[1].expression"},
		{"type error points at its expression", len(ws) > 1 && ws[1].FieldRef == "spec.validations[2].expression" && strings.Contains(ws[1].Warning, "must evaluate to bool")},
		{"observedGeneration", got.Status.ObservedGeneration == got.Generation},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Errorf("status: %s", raw)
			}
		})
	}
}

// BenchmarkCreateWithPolicies measures a create through the API with 0 and 5
// matching policies.
func BenchmarkCreateWithPolicies(b *testing.B) {
	for _, n := range []int{0, 5} {
		b.Run(map[int]string{0: "policies=0", 5: "policies=5"}[n], func(b *testing.B) {
			e := startEnv(b)
			ctx := context.Background()
			e.mustCreate(b, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "bench"}})
			for i := range n {
				name := "p" + string(rune('a'+i))
				_, err := e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicies().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicy{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec: admissionregistrationv1.ValidatingAdmissionPolicySpec{MatchConstraints: configMapsRule(),
						Variables:   []admissionregistrationv1.Variable{{Name: "n", Expression: "object.metadata.name"}},
						Validations: []admissionregistrationv1.Validation{{Expression: "variables.n.size() < 100"}, {Expression: "!has(object.data) || object.data.size() < 10"}}}}, metav1.CreateOptions{})
				if err != nil {
					b.Fatal(err)
				}
				_, err = e.Client.AdmissionregistrationV1().ValidatingAdmissionPolicyBindings().Create(ctx, &admissionregistrationv1.ValidatingAdmissionPolicyBinding{
					ObjectMeta: metav1.ObjectMeta{Name: name},
					Spec:       admissionregistrationv1.ValidatingAdmissionPolicyBindingSpec{PolicyName: name, ValidationActions: []admissionregistrationv1.ValidationAction{admissionregistrationv1.Deny}}}, metav1.CreateOptions{})
				if err != nil {
					b.Fatal(err)
				}
			}
			e.waitBound(b, n)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, err := e.Client.CoreV1().ConfigMaps("bench").Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{GenerateName: "c-"}, Data: map[string]string{"k": "v"}}, metav1.CreateOptions{})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
