package webhook

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// send makes a raw request to the test API (so that query and body are exactly the
// case's) and returns the status code.
func (e *env) send(t *testing.T, method, path, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequest(method, e.Config.Host+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// lastCall is the newest review a path received, or nil.
func (h *hookServer) lastCall(path string) *admissionv1.AdmissionRequest {
	calls := h.callsTo(path)
	if len(calls) == 0 {
		return nil
	}
	return calls[len(calls)-1]
}

// TestReviewOptions checks request.options (and CONNECT's object) for each verb as
// upstream's handlers pass them to admission.
func TestReviewOptions(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	ctx := context.Background()
	rule := func(resources []string, ops ...admissionregistrationv1.OperationType) []admissionregistrationv1.RuleWithOperations {
		return []admissionregistrationv1.RuleWithOperations{{Operations: ops, Rule: admissionregistrationv1.Rule{
			APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: resources}}}
	}
	vcfg := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "record"},
		Webhooks: []admissionregistrationv1.ValidatingWebhook{
			e.validatingHook("record.kapi.test", "/record", func(w *admissionregistrationv1.ValidatingWebhook) {
				w.Rules = rule([]string{"configmaps", "pods"}, admissionregistrationv1.Create, admissionregistrationv1.Update, admissionregistrationv1.Delete)
			}),
			// Connects are refused, so that no kubelet is dialled.
			e.validatingHook("connect.kapi.test", "/deny", func(w *admissionregistrationv1.ValidatingWebhook) {
				w.Rules = rule([]string{"pods/exec", "pods/proxy"}, admissionregistrationv1.Connect)
			}),
			e.validatingHook("cel.kapi.test", "/cel", func(w *admissionregistrationv1.ValidatingWebhook) {
				w.MatchConditions = []admissionregistrationv1.MatchCondition{{Name: "manager",
					Expression: `request.options != null && has(request.options.fieldManager) && request.options.fieldManager == "cel"`}}
			}),
		}}
	if _, err := e.Client.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, vcfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	mcfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "record"},
		Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: "mrecord.kapi.test",
			ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: e.url("/mrecord"), CABundle: e.hooks.ca},
			Rules: []admissionregistrationv1.RuleWithOperations{{
				Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Delete},
				Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}}}},
			SideEffects: ptr(admissionregistrationv1.SideEffectClassNone), AdmissionReviewVersions: []string{"v1"}}}}
	if _, err := e.Client.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, mcfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, e.validating.p, 1)
	waitFor(t, e.mutating.p, 1)
	for _, name := range []string{"upd", "mp", "ap", "del", "mdel", "neg", "col1"} {
		if _, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, configMap(name, map[string]string{"set": name}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "runs"}, Spec: corev1.PodSpec{NodeName: "n1",
		TerminationGracePeriodSeconds: ptr(int64(12)), Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
	if _, err := e.Client.CoreV1().Pods("dev").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	const base = "/api/v1/namespaces/dev/configmaps"
	cm := func(name string) string {
		return fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":%q}}`, name)
	}

	cases := []struct {
		name                        string
		method, path, ctype, body   string
		hook                        string
		wantCode                    int
		wantOp, wantOptions         string
		wantObject, wantOldObjectIn string
	}{
		{name: "create with fieldManager dryRun and fieldValidation",
			method: "POST", path: base + "?fieldManager=x&dryRun=All&fieldValidation=Strict", ctype: "application/json", body: cm("new"),
			hook: "/record", wantCode: 201, wantOp: "CREATE",
			wantOptions: `{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"],"fieldManager":"x","fieldValidation":"Strict"}`},
		{name: "create without options",
			method: "POST", path: base, ctype: "application/json", body: cm("plain"),
			hook: "/record", wantCode: 201, wantOp: "CREATE",
			wantOptions: `{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1"}`},
		{name: "update",
			method: "PUT", path: base + "/upd?fieldManager=y&fieldValidation=Warn", ctype: "application/json", body: cm("upd"),
			hook: "/record", wantCode: 200, wantOp: "UPDATE",
			wantOptions: `{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"y","fieldValidation":"Warn"}`},
		{name: "merge patch is an update with UpdateOptions",
			method: "PATCH", path: base + "/mp?fieldManager=z&fieldValidation=Ignore", ctype: "application/merge-patch+json", body: `{"data":{"a":"b"}}`,
			hook: "/record", wantCode: 200, wantOp: "UPDATE",
			wantOptions: `{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"z","fieldValidation":"Ignore"}`},
		{name: "apply with force drops force",
			method: "PATCH", path: base + "/ap?fieldManager=applier&force=true", ctype: "application/apply-patch+yaml", body: cm("ap"),
			hook: "/record", wantCode: 200, wantOp: "UPDATE",
			wantOptions: `{"kind":"UpdateOptions","apiVersion":"meta.k8s.io/v1","fieldManager":"applier"}`},
		{name: "apply that creates is a create with CreateOptions",
			method: "PATCH", path: base + "/fresh?fieldManager=applier&dryRun=All", ctype: "application/apply-patch+yaml", body: cm("fresh"),
			hook: "/record", wantCode: 201, wantOp: "CREATE",
			wantOptions: `{"kind":"CreateOptions","apiVersion":"meta.k8s.io/v1","dryRun":["All"],"fieldManager":"applier"}`},
		{name: "delete with propagationPolicy and gracePeriodSeconds in the query",
			method: "DELETE", path: base + "/del?propagationPolicy=Foreground&gracePeriodSeconds=7",
			hook: "/record", wantCode: 200, wantOp: "DELETE", wantOldObjectIn: `"name":"del"`,
			wantOptions: `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":7,"propagationPolicy":"Foreground"}`},
		{name: "mutating webhook sees a delete's old object and options from the body",
			method: "DELETE", path: base + "/mdel", ctype: "application/json",
			body: `{"apiVersion":"v1","kind":"DeleteOptions","gracePeriodSeconds":0,"orphanDependents":false,"dryRun":["All"]}`,
			hook: "/mrecord", wantCode: 200, wantOp: "DELETE", wantOldObjectIn: `"name":"mdel"`,
			wantOptions: `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":0,"orphanDependents":false,"dryRun":["All"]}`},
		{name: "negative grace period reads 1",
			method: "DELETE", path: base + "/neg?gracePeriodSeconds=-5",
			hook: "/record", wantCode: 200, wantOp: "DELETE",
			wantOptions: `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":1}`},
		{name: "collection items see the request's options",
			method: "DELETE", path: base + "?labelSelector=set%3Dcol1&gracePeriodSeconds=-5",
			hook: "/record", wantCode: 200, wantOp: "DELETE", wantOldObjectIn: `"name":"col1"`,
			wantOptions: `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":-5}`},
		{name: "pod delete carries the pod's grace period",
			method: "DELETE", path: "/api/v1/namespaces/dev/pods/runs?dryRun=All",
			hook: "/record", wantCode: 200, wantOp: "DELETE",
			wantOptions: `{"kind":"DeleteOptions","apiVersion":"meta.k8s.io/v1","gracePeriodSeconds":12,"dryRun":["All"]}`},
		{name: "exec is admitted with PodExecOptions as its object",
			method: "POST", path: "/api/v1/namespaces/dev/pods/gone/exec?command=ls&command=-l&stdout=true&container=c",
			hook: "/deny", wantCode: 403, wantOp: "CONNECT", wantOptions: "",
			wantObject: `{"kind":"PodExecOptions","apiVersion":"v1","stdout":true,"container":"c","command":["ls","-l"]}`},
		{name: "proxy is admitted with PodProxyOptions and its path",
			method: "GET", path: "/api/v1/namespaces/dev/pods/gone/proxy/some/path/",
			hook: "/deny", wantCode: 403, wantOp: "CONNECT", wantOptions: "",
			wantObject: `{"kind":"PodProxyOptions","apiVersion":"v1","path":"/some/path/"}`},
		{name: "bad portforward ports are refused before admission",
			method: "POST", path: "/api/v1/namespaces/dev/pods/gone/portforward?ports=x",
			wantCode: 400},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(e.hooks.callsTo(tc.hook))
			if code := e.send(t, tc.method, tc.path, tc.ctype, tc.body); code != tc.wantCode {
				t.Fatalf("status %d, want %d", code, tc.wantCode)
			}
			if tc.hook == "" {
				return
			}
			if len(e.hooks.callsTo(tc.hook)) == before {
				t.Fatalf("%s was not called", tc.hook)
			}
			req := e.hooks.lastCall(tc.hook)
			if string(req.Operation) != tc.wantOp {
				t.Errorf("operation %q, want %q", req.Operation, tc.wantOp)
			}
			if got := string(req.Options.Raw); got != tc.wantOptions {
				t.Errorf("options\n got %s\nwant %s", got, tc.wantOptions)
			}
			if tc.wantObject != "" && string(req.Object.Raw) != tc.wantObject {
				t.Errorf("object\n got %s\nwant %s", req.Object.Raw, tc.wantObject)
			}
			if tc.wantOldObjectIn != "" && !strings.Contains(string(req.OldObject.Raw), tc.wantOldObjectIn) {
				t.Errorf("oldObject %s does not contain %s", req.OldObject.Raw, tc.wantOldObjectIn)
			}
		})
	}

	t.Run("matchConditions read request.options", func(t *testing.T) {
		for _, tc := range []struct {
			name, manager string
			wantCalled    bool
		}{
			{"matching field manager", "cel", true},
			{"other field manager", "other", false},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := len(e.hooks.callsTo("/cel"))
				if code := e.send(t, "POST", base+"?fieldManager="+tc.manager, "application/json", cm("cel-"+tc.manager)); code != 201 {
					t.Fatalf("status %d", code)
				}
				if called := len(e.hooks.callsTo("/cel")) > before; called != tc.wantCalled {
					t.Errorf("called %v, want %v", called, tc.wantCalled)
				}
			})
		}
	})
}
