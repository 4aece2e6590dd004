package webhook_test

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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// reviewRecorder is a real TLS admission webhook that records every review by
// path. A path /patch/<case>/<field>/<n> answers with a JSON patch setting
// spec.<field> to n; any other path allows unchanged.
type reviewRecorder struct {
	srv *httptest.Server
	ca  []byte
	// mu guards calls.
	mu    sync.Mutex
	calls map[string][]*admissionv1.AdmissionRequest
}

func startReviewRecorder(t *testing.T) *reviewRecorder {
	h := &reviewRecorder{calls: map[string][]*admissionv1.AdmissionRequest{}}
	h.srv = httptest.NewUnstartedServer(http.HandlerFunc(h.serve))
	h.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	h.srv.StartTLS()
	t.Cleanup(h.srv.Close)
	h.ca = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: h.srv.Certificate().Raw})
	return h
}

func (h *reviewRecorder) serve(w http.ResponseWriter, r *http.Request) {
	var review admissionv1.AdmissionReview
	if err := json.NewDecoder(r.Body).Decode(&review); err != nil || review.Request == nil {
		http.Error(w, "bad review", http.StatusBadRequest)
		return
	}
	h.mu.Lock()
	h.calls[r.URL.Path] = append(h.calls[r.URL.Path], review.Request)
	h.mu.Unlock()
	resp := &admissionv1.AdmissionResponse{UID: review.Request.UID, Allowed: true}
	if parts := strings.Split(r.URL.Path, "/"); len(parts) == 5 && parts[1] == "patch" {
		jsonPatch := admissionv1.PatchTypeJSONPatch
		resp.Patch = fmt.Appendf(nil, `[{"op":"add","path":"/spec/%s","value":%s}]`, parts[3], parts[4])
		resp.PatchType = &jsonPatch
	}
	review.Response, review.Request = resp, nil
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&review)
}

// call returns the review sent to path for the object named name, nil if none.
func (h *reviewRecorder) call(path, name string) *admissionv1.AdmissionRequest {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, c := range h.calls[path] {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// TestCustomResourceAdmissionVersions checks, on the real server with real
// multi-version CRDs (v1 stored, v2 served; webhook conversion renames v1's
// spec.size to v2's spec.count, None only changes apiVersion), that a request
// made at v2 reaches each webhook in the version it registered for, and that a
// mutating webhook's patch in that version is stored at v1.
func TestCustomResourceAdmissionVersions(t *testing.T) {
	in := servertest.Start(t)
	ctx := context.Background()
	admissiontest.InstallCRD(t, in.Config, admissiontest.MultiVersionCRD(t, "widgets", "Widget", true))
	admissiontest.InstallCRD(t, in.Config, admissiontest.MultiVersionCRD(t, "gizmos", "Gizmo", false))
	dyn := dynamic.NewForConfigOrDie(in.Config)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	hooks := startReviewRecorder(t)
	exact, equivalent := admissionregistrationv1.Exact, admissionregistrationv1.Equivalent

	cases := []struct {
		name     string
		resource string // widgets (webhook conversion) or gizmos (None)
		mutating bool
		// version and policy are the webhook's rule.
		version string
		policy  admissionregistrationv1.MatchPolicyType
		patch   string // field/value a mutating webhook sets
		count   int    // spec.count of the object created at v2
		// wantVersion is request.kind's and request.resource's version;
		// requestKind and requestResource are always v2.
		wantVersion string
		wantSpec    string // the review's object's spec, in wantVersion
		wantStored  string // spec as etcd holds it (v1), mutating cases
		wantServed  string // spec of the created object (v2), mutating cases
	}{
		{name: "an Exact webhook for v2 sees the v2 object", resource: "widgets", version: "v2", policy: exact,
			count: 3, wantVersion: "v2", wantSpec: "map[count:3]"},
		{name: "an Equivalent webhook for v1 gets a v2 request converted to v1", resource: "widgets", version: "v1", policy: equivalent,
			count: 4, wantVersion: "v1", wantSpec: "map[size:4]"},
		{name: "an Equivalent webhook for v1 gets a v2 request at v1 with conversion None", resource: "gizmos", version: "v1", policy: equivalent,
			count: 5, wantVersion: "v1", wantSpec: "map[count:5]"},
		{name: "a mutating patch at v2 is stored at v1", resource: "widgets", mutating: true, version: "v2", policy: exact,
			patch: "count/7", count: 1, wantVersion: "v2", wantSpec: "map[count:1]", wantStored: "map[size:7]", wantServed: "map[count:7]"},
		{name: "a mutating patch at the converted version v1 is stored", resource: "widgets", mutating: true, version: "v1", policy: equivalent,
			patch: "size/8", count: 2, wantVersion: "v1", wantSpec: "map[size:2]", wantStored: "map[size:8]", wantServed: "map[count:8]"},
		{name: "a mutating patch at v1 with conversion None is stored", resource: "gizmos", mutating: true, version: "v1", policy: equivalent,
			patch: "count/9", count: 6, wantVersion: "v1", wantSpec: "map[count:6]", wantStored: "map[count:9]", wantServed: "map[count:9]"},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			label := fmt.Sprintf("case-%d", i)
			path := "/record/" + label
			if tc.mutating {
				path = "/patch/" + label + "/" + tc.patch
			}
			installHook(t, cs, hooks, label, path, tc.mutating, tc.resource, tc.version, tc.policy)
			gvr := schema.GroupVersionResource{Group: admissiontest.WidgetsGroup, Version: "v2", Resource: tc.resource}
			obj := func(name string) *unstructured.Unstructured {
				u := &unstructured.Unstructured{Object: map[string]any{
					"apiVersion": gvr.GroupVersion().String(), "kind": strings.TrimSuffix(strings.ToUpper(tc.resource[:1])+tc.resource[1:], "s"),
					"metadata": map[string]any{"name": name, "labels": map[string]any{"case": label}},
					"spec":     map[string]any{"count": int64(tc.count)}}}
				return u
			}
			// The configuration took effect once a dry run reaches the webhook.
			probe := label + "-probe"
			var lastErr error
			err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 15*time.Second, true, func(context.Context) (bool, error) {
				_, lastErr = dyn.Resource(gvr).Namespace("default").Create(ctx, obj(probe), metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}})
				return hooks.call(path, probe) != nil, nil
			})
			if err != nil {
				t.Fatalf("webhook %s never called (last dry run: %v): %v", path, lastErr, err)
			}
			name := label + "-object"
			created, err := dyn.Resource(gvr).Namespace("default").Create(ctx, obj(name), metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			req := hooks.call(path, name)
			if req == nil {
				t.Fatalf("webhook %s not called for %s", path, name)
			}
			want := schema.GroupVersionResource{Group: admissiontest.WidgetsGroup, Version: tc.wantVersion, Resource: tc.resource}
			if req.Resource.Version != want.Version || req.Kind.Version != want.Version {
				t.Errorf("request.resource %v, request.kind %v; want version %s", req.Resource, req.Kind, want.Version)
			}
			if req.RequestResource == nil || req.RequestResource.Version != "v2" || req.RequestKind == nil || req.RequestKind.Version != "v2" {
				t.Errorf("requestResource %v, requestKind %v; want v2", req.RequestResource, req.RequestKind)
			}
			var sent map[string]any
			if err := json.Unmarshal(req.Object.Raw, &sent); err != nil {
				t.Fatal(err)
			}
			if got := sent["apiVersion"]; got != want.GroupVersion().String() {
				t.Errorf("review object apiVersion %v, want %s", got, want.GroupVersion())
			}
			if got := fmt.Sprint(sent["spec"]); got != tc.wantSpec {
				t.Errorf("review object spec %s, want %s", got, tc.wantSpec)
			}
			if !tc.mutating {
				return
			}
			if got := fmt.Sprint(created.Object["spec"]); got != tc.wantServed || created.GetAPIVersion() != gvr.GroupVersion().String() {
				t.Errorf("created %s spec %s, want %s spec %s", created.GetAPIVersion(), got, gvr.GroupVersion(), tc.wantServed)
			}
			key := "/registry/" + admissiontest.WidgetsGroup + "/" + tc.resource + "/default/" + name
			resp, err := in.Etcd.Get(ctx, key)
			if err != nil || len(resp.Kvs) != 1 {
				t.Fatalf("etcd get %s: %v", key, err)
			}
			var stored map[string]any
			if err := json.Unmarshal(resp.Kvs[0].Value, &stored); err != nil {
				t.Fatal(err)
			}
			if stored["apiVersion"] != admissiontest.WidgetsGroup+"/v1" || fmt.Sprint(stored["spec"]) != tc.wantStored {
				t.Errorf("stored %v spec %v, want %s/v1 spec %s", stored["apiVersion"], stored["spec"], admissiontest.WidgetsGroup, tc.wantStored)
			}
		})
	}
}

// installHook registers one webhook at path for creates of resource at version,
// limited to objects labelled case=label, and removes it when the test ends.
func installHook(t *testing.T, cs kubernetes.Interface, hooks *reviewRecorder, label, path string, mutating bool,
	resource, version string, policy admissionregistrationv1.MatchPolicyType) {
	t.Helper()
	ctx := context.Background()
	url := hooks.srv.URL + path
	none := admissionregistrationv1.SideEffectClassNone
	fail := admissionregistrationv1.Fail
	rules := []admissionregistrationv1.RuleWithOperations{{
		Operations: []admissionregistrationv1.OperationType{admissionregistrationv1.Create},
		Rule: admissionregistrationv1.Rule{APIGroups: []string{admissiontest.WidgetsGroup}, APIVersions: []string{version},
			Resources: []string{resource}},
	}}
	client := admissionregistrationv1.WebhookClientConfig{URL: &url, CABundle: hooks.ca}
	selector := &metav1.LabelSelector{MatchLabels: map[string]string{"case": label}}
	meta := metav1.ObjectMeta{Name: label}
	if mutating {
		cfg := &admissionregistrationv1.MutatingWebhookConfiguration{ObjectMeta: meta,
			Webhooks: []admissionregistrationv1.MutatingWebhook{{Name: label + ".example.com", ClientConfig: client, Rules: rules,
				MatchPolicy: &policy, SideEffects: &none, FailurePolicy: &fail, ObjectSelector: selector,
				AdmissionReviewVersions: []string{"v1"}}}}
		if _, err := cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cs.AdmissionregistrationV1().MutatingWebhookConfigurations().Delete(ctx, label, metav1.DeleteOptions{})
		})
		return
	}
	cfg := &admissionregistrationv1.ValidatingWebhookConfiguration{ObjectMeta: meta,
		Webhooks: []admissionregistrationv1.ValidatingWebhook{{Name: label + ".example.com", ClientConfig: client, Rules: rules,
			MatchPolicy: &policy, SideEffects: &none, FailurePolicy: &fail, ObjectSelector: selector,
			AdmissionReviewVersions: []string{"v1"}}}}
	if _, err := cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Create(ctx, cfg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.AdmissionregistrationV1().ValidatingWebhookConfigurations().Delete(ctx, label, metav1.DeleteOptions{})
	})
}
