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
	"strconv"
	"strings"
	"sync"
	"testing"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reinvokeHooks is a TLS webhook server on loopback whose path says what it does
// to a configmap: /<hook>/count/<label> adds one to the label,
// /<hook>/set/<label>/<value> sets it, /<hook>/unknown adds a field ConfigMaps do
// not have. It counts the calls of each <hook>.
type reinvokeHooks struct {
	srv *httptest.Server
	ca  []byte
	// mu guards calls.
	mu    sync.Mutex
	calls map[string]int
}

func startReinvokeHooks(t *testing.T) *reinvokeHooks {
	t.Helper()
	h := &reinvokeHooks{calls: map[string]int{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	return h
}

func (h *reinvokeHooks) callsOf(hook string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[hook]
}

func (h *reinvokeHooks) serve(w http.ResponseWriter, r *http.Request) {
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
	var patch []byte
	switch {
	case len(parts) == 3 && parts[1] == "count":
		var obj struct {
			Metadata struct {
				Labels map[string]string `json:"labels"`
			} `json:"metadata"`
		}
		_ = json.Unmarshal(review.Request.Object.Raw, &obj)
		n, _ := strconv.Atoi(obj.Metadata.Labels[parts[2]])
		patch = labelPatch(review.Request.Object.Raw, parts[2], strconv.Itoa(n+1))
	case len(parts) == 4 && parts[1] == "set":
		patch = labelPatch(review.Request.Object.Raw, parts[2], parts[3])
	case len(parts) == 2 && parts[1] == "unknown":
		patch = []byte(`[{"op":"add","path":"/bogus","value":"x"}]`)
	}
	if patch != nil {
		pt := admissionv1.PatchTypeJSONPatch
		resp.Patch, resp.PatchType = patch, &pt
	}
	review.Response, review.Request = resp, nil
	_ = json.NewEncoder(w).Encode(&review)
}

// TestMutatingReinvocation checks which webhooks the second pass calls and the
// audit annotations of both passes.
func TestMutatingReinvocation(t *testing.T) {
	e := startEnv(t)
	e.namespace(t, "dev", nil)
	h := startReinvokeHooks(t)
	ctx := context.Background()
	type spec struct {
		path     string
		ifNeeded bool
	}
	mutation := func(hook string, mutated bool) string {
		return fmt.Sprintf(`{"configuration":"reinvoke","webhook":"%s.kapi.test","mutated":%t}`, hook, mutated)
	}
	cases := []struct {
		name       string
		hooks      []spec
		wantLabels map[string]string
		wantCalls  map[string]int
		// wantAnnotations are mutation.webhook.admission.k8s.io/<key> ("" for absent).
		wantAnnotations map[string]string
	}{
		{name: "IfNeeded webhooks cascade in the second pass",
			hooks:      []spec{{"/a/count/a", true}, {"/b/count/b", false}, {"/c/count/c", true}},
			wantLabels: map[string]string{"a": "2", "b": "1", "c": "2"},
			wantCalls:  map[string]int{"a": 2, "b": 1, "c": 2},
			wantAnnotations: map[string]string{"round_0_index_0": mutation("a", true), "round_0_index_1": mutation("b", true),
				"round_0_index_2": mutation("c", true), "round_1_index_0": mutation("a", true), "round_1_index_1": "",
				"round_1_index_2": mutation("c", true)}},
		{name: "a reinvoked webhook that changes nothing does not cascade",
			hooks:           []spec{{"/a/set/a/x", true}, {"/b/count/b", false}, {"/c/count/c", true}},
			wantLabels:      map[string]string{"a": "x", "b": "1", "c": "1"},
			wantCalls:       map[string]int{"a": 2, "b": 1, "c": 1},
			wantAnnotations: map[string]string{"round_1_index_0": mutation("a", false), "round_1_index_2": ""}},
		{name: "a patch of a field the type lacks changes nothing",
			hooks:           []spec{{"/a/count/a", true}, {"/b/unknown", false}},
			wantLabels:      map[string]string{"a": "1"},
			wantCalls:       map[string]int{"a": 1, "b": 1},
			wantAnnotations: map[string]string{"round_0_index_1": mutation("b", false), "round_1_index_0": ""}},
		{name: "webhooks that change nothing are called once",
			hooks:           []spec{{"/a/none", true}, {"/b/none", false}},
			wantCalls:       map[string]int{"a": 1, "b": 1},
			wantAnnotations: map[string]string{"round_0_index_0": mutation("a", false), "round_1_index_0": ""}},
	}
	rule := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule:       admissionregistrationv1.Rule{APIGroups: []string{""}, APIVersions: []string{"v1"}, Resources: []string{"configmaps"}},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: metav1.ObjectMeta{Name: "reinvoke"}}
			for _, s := range tc.hooks {
				url := h.srv.URL + s.path
				policy := admissionregistrationv1.NeverReinvocationPolicy
				if s.ifNeeded {
					policy = admissionregistrationv1.IfNeededReinvocationPolicy
				}
				cfg.Webhooks = append(cfg.Webhooks, admissionregistrationv1.MutatingWebhook{
					Name:         strings.Split(strings.Trim(s.path, "/"), "/")[0] + ".kapi.test",
					ClientConfig: admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: h.ca}, Rules: rule,
					ReinvocationPolicy: &policy, SideEffects: ptr(admissionregistrationv1.SideEffectClassNone),
					AdmissionReviewVersions: []string{"v1"}})
			}
			hooks := e.Client.AdmissionregistrationV1().MutatingWebhookConfigurations()
			if _, err := hooks.Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, e.mutating.p, 1)
			t.Cleanup(func() {
				if err := hooks.Delete(ctx, cfg.Name, metav1.DeleteOptions{}); err != nil {
					t.Error(err)
				}
				waitFor(t, e.mutating.p, 0)
			})
			h.mu.Lock()
			clear(h.calls)
			h.mu.Unlock()
			drain(e.Annotations)
			got, err := e.Client.CoreV1().ConfigMaps("dev").Create(ctx, configMap("reinvoked", nil), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
			if err != nil {
				t.Fatal(err)
			}
			ann := <-e.Annotations
			for k, want := range tc.wantLabels {
				if got.Labels[k] != want {
					t.Errorf("label %s = %q, want %q", k, got.Labels[k], want)
				}
			}
			for hook, want := range tc.wantCalls {
				if n := h.callsOf(hook); n != want {
					t.Errorf("webhook %s called %d times, want %d", hook, n, want)
				}
			}
			for k, want := range tc.wantAnnotations {
				if v := ann["mutation.webhook.admission.k8s.io/"+k]; v != want {
					t.Errorf("annotation %s = %q, want %q", k, v, want)
				}
			}
		})
	}
}
