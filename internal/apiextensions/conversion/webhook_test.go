package conversion

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// widgetCRD is a CRD of group stable.example.com with versions v1 and v2.
func widgetCRD(conv *apiextensionsv1.CustomResourceConversion) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: "widgets.stable.example.com"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: "stable.example.com",
			Names: apiextensionsv1.CustomResourceDefinitionNames{Plural: "widgets", Kind: "Widget", ListKind: "WidgetList"},
			Scope: apiextensionsv1.NamespaceScoped,
			Versions: []apiextensionsv1.CustomResourceDefinitionVersion{
				{Name: "v1", Served: true, Storage: true},
				{Name: "v2", Served: true},
				{Name: "v3"},
			},
			Conversion: conv,
		},
	}
}

func widget(version, name, color string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stable.example.com/" + version,
		"kind":       "Widget",
		"metadata": map[string]any{
			"name": name, "namespace": "default", "uid": "uid-" + name,
			"generation": int64(1), "resourceVersion": "7",
			"labels": map[string]any{"app": "w"},
		},
		"spec": map[string]any{"color": color},
	}}
}

func widgetV2(name, colour string) *unstructured.Unstructured {
	w := widget("v2", name, "")
	w.Object["spec"] = map[string]any{"colour": colour}
	return w
}

// webhookConversion addresses the webhook by URL with the given CA.
func webhookConversion(rawURL string, ca []byte, reviewVersions ...string) *apiextensionsv1.CustomResourceConversion {
	if len(reviewVersions) == 0 {
		reviewVersions = []string{"v1", "v1beta1"}
	}
	return &apiextensionsv1.CustomResourceConversion{
		Strategy: apiextensionsv1.WebhookConverter,
		Webhook: &apiextensionsv1.WebhookConversion{
			ClientConfig:             &apiextensionsv1.WebhookClientConfig{URL: &rawURL, CABundle: ca},
			ConversionReviewVersions: reviewVersions,
		},
	}
}

const gvkV1 = "stable.example.com/v1, Kind=Widget"

func TestWebhookConvert(t *testing.T) {
	otherCert, otherCA := testCert(t)
	_ = otherCert
	cases := []struct {
		name string
		// handler serves the webhook; nil: converting with tamper.
		handler http.HandlerFunc
		tamper  tamper
		// conv builds spec.conversion from the hook; nil: by URL with its CA.
		conv    func(k *hook) *apiextensionsv1.CustomResourceConversion
		opts    func(k *hook) Options
		objs    []*unstructured.Unstructured
		to      string
		ctx     func() (context.Context, context.CancelFunc)
		want    []*unstructured.Unstructured
		wantErr string // a regular expression matching the whole message
		calls   int32
		objects int32
	}{
		{
			name:    "success",
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			want:    []*unstructured.Unstructured{widgetV2("a", "red")},
			calls:   1,
			objects: 1,
		},
		{
			name:    "success back to the storage version",
			objs:    []*unstructured.Unstructured{widgetV2("a", "red")},
			to:      "v1",
			want:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			calls:   1,
			objects: 1,
		},
		{
			name:    "mixed versions send only the others, in one review",
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red"), widgetV2("b", "blue"), widget("v1", "c", "green")},
			to:      "v2",
			want:    []*unstructured.Unstructured{widgetV2("a", "red"), widgetV2("b", "blue"), widgetV2("c", "green")},
			calls:   1,
			objects: 2,
		},
		{
			name:  "already at the version calls no webhook",
			objs:  []*unstructured.Unstructured{widgetV2("a", "red"), widgetV2("b", "blue")},
			to:    "v2",
			want:  []*unstructured.Unstructured{widgetV2("a", "red"), widgetV2("b", "blue")},
			calls: 0,
		},
		{
			name:  "an object with only apiVersion and kind is not sent",
			objs:  []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "stable.example.com/v1", "kind": "Widget"}}},
			to:    "v2",
			want:  []*unstructured.Unstructured{{Object: map[string]any{"apiVersion": "stable.example.com/v2", "kind": "Widget"}}},
			calls: 0,
		},
		{
			name: "v1beta1 review",
			conv: func(k *hook) *apiextensionsv1.CustomResourceConversion {
				return webhookConversion(k.srv.URL+"/convert", k.caPEM, "v9", "v1beta1", "v1")
			},
			handler: nil,
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			want:    []*unstructured.Unstructured{widgetV2("a", "red")},
			calls:   1,
			objects: 1,
		},
		{
			name: "service reference resolved by the server",
			conv: func(k *hook) *apiextensionsv1.CustomResourceConversion {
				port, path := int32(8443), "/convert"
				c := webhookConversion("", nil)
				c.Webhook.ClientConfig = &apiextensionsv1.WebhookClientConfig{
					Service:  &apiextensionsv1.ServiceReference{Namespace: hookServiceNamespace, Name: hookServiceName, Path: &path, Port: &port},
					CABundle: k.caPEM,
				}
				return c
			},
			opts: func(k *hook) Options {
				return Options{ResolveService: func(ns, name string, port int32) (*url.URL, error) {
					if ns != hookServiceNamespace || name != hookServiceName || port != 8443 {
						return nil, fmt.Errorf("unexpected service %s/%s:%d", ns, name, port)
					}
					return url.Parse(k.srv.URL)
				}}
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			want:    []*unstructured.Unstructured{widgetV2("a", "red")},
			calls:   1,
			objects: 1,
		},
		{
			name: "labels and annotations from the webhook are kept, other metadata restored",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) {
					u.SetLabels(map[string]string{"converted": "yes"})
					u.SetAnnotations(map[string]string{"note": "v2"})
					u.SetGeneration(42)
					u.SetFinalizers([]string{"foo"})
					u.SetResourceVersion("99")
				})
			},
			objs: []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:   "v2",
			want: func() []*unstructured.Unstructured {
				w := widgetV2("a", "red")
				w.SetLabels(map[string]string{"converted": "yes"})
				w.SetAnnotations(map[string]string{"note": "v2"})
				return []*unstructured.Unstructured{w}
			}(),
			calls:   1,
			objects: 1,
		},
		{
			name: "labels dropped by the webhook are dropped",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetLabels(nil) })
			},
			objs: []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:   "v2",
			want: func() []*unstructured.Unstructured {
				w := widgetV2("a", "red")
				w.SetLabels(nil)
				return []*unstructured.Unstructured{w}
			}(),
			calls:   1,
			objects: 1,
		},
		{
			name: "wrong uid",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.UID = "wrong"
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for "+gvkV1+` failed: expected response.uid="`) + `[0-9a-f-]+` + q(`", got "wrong"`),
			calls:   1,
		},
		{
			name: "failed result",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.Result = metav1.Status{Status: metav1.StatusFailure, Message: "custom webhook conversion error"}
				resp.ConvertedObjects = nil
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: custom webhook conversion error"),
			calls:   1,
		},
		{
			name: "failed result without message",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.Result = metav1.Status{Status: metav1.StatusFailure}
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: response.result.status was 'Failure', not 'Success'"),
			calls:   1,
		},
		{
			name: "changed name",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetName("b") })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " returned invalid object: must have the same name: a != b"),
			calls:   1,
		},
		{
			name: "changed uid",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetUID("other") })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " returned invalid object: must have the same UID: uid-a != other"),
			calls:   1,
		},
		{
			name: "changed namespace in a list",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 1, func(u *unstructured.Unstructured) { u.SetNamespace("kube-system") })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red"), widget("v1", "b", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for stable.example.com/v1, Kind=WidgetList returned invalid converted object at index 1: must have the same namespace: default != kube-system"),
			calls:   1,
		},
		{
			name: "wrong apiVersion",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetAPIVersion("stable.example.com/v1") })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " returned invalid object at index 0: invalid groupVersion (expected stable.example.com/v2, received stable.example.com/v1)"),
			calls:   1,
		},
		{
			name: "wrong kind",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetKind("Gadget") })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " returned invalid object at index 0: invalid kind (expected Widget, received Gadget)"),
			calls:   1,
		},
		{
			name: "invalid label",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				editObject(resp, 0, func(u *unstructured.Unstructured) { u.SetLabels(map[string]string{"app": "-bad-"}) })
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for "+gvkV1+` returned invalid metadata: metadata.labels: Invalid value: "-bad-": `) + ".*",
			calls:   1,
		},
		{
			name: "metadata missing in a list item",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.ConvertedObjects[0].Raw = []byte(`{"apiVersion":"stable.example.com/v2","kind":"Widget"}`)
			},
			objs: []*unstructured.Unstructured{
				{Object: map[string]any{"apiVersion": "stable.example.com/v1", "kind": "Widget", "spec": map[string]any{}}},
				{Object: map[string]any{"apiVersion": "stable.example.com/v1", "kind": "Widget", "spec": map[string]any{}}},
			},
			to:      "v2",
			wantErr: q("conversion webhook for stable.example.com/v1, Kind=WidgetList returned invalid metadata in object at index 0: missing metadata in converted object"),
			calls:   1,
		},
		{
			name: "dropped object",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.ConvertedObjects = resp.ConvertedObjects[:1]
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red"), widget("v1", "b", "blue")},
			to:      "v2",
			wantErr: q("conversion webhook for stable.example.com/v1, Kind=WidgetList returned 1 objects, expected 2"),
			calls:   1,
		},
		{
			name: "empty response",
			tamper: func(_ *apiextensionsv1.ConversionRequest, resp *apiextensionsv1.ConversionResponse) {
				resp.ConvertedObjects = nil
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " returned 0 objects, expected 1"),
			calls:   1,
		},
		{
			name:    "timeout",
			handler: stall,
			opts:    func(*hook) Options { return Options{timeout: 200 * time.Millisecond} },
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for "+gvkV1+` failed: Post "`) + `https://127\.0\.0\.1:\d+/convert\?timeout=200ms` + q(`": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`),
			calls:   1,
		},
		{
			name:    "caller's context cancelled",
			handler: stall,
			ctx: func() (context.Context, context.CancelFunc) {
				return context.WithTimeout(context.Background(), 100*time.Millisecond)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for "+gvkV1+` failed: Post "`) + `\S+` + q(`": context deadline exceeded`),
			calls:   1,
		},
		{
			name: "bad CA",
			conv: func(k *hook) *apiextensionsv1.CustomResourceConversion {
				return webhookConversion(k.srv.URL+"/convert", otherCA)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for "+gvkV1+` failed: Post "`) + `\S+` + q(`": tls: failed to verify certificate: x509: certificate signed by unknown authority`) + ".*",
			calls:   0,
		},
		{
			name: "redirect refused",
			handler: func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/elsewhere" {
					panic("redirect followed")
				}
				http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: the server responded with the status code 307 but did not return more information"),
			calls:   1,
		},
		{
			name: "unhandled review",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "Cannot handle v1 ConversionReview", http.StatusUnprocessableEntity)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: the server rejected our request due to an error in our request"),
			calls:   1,
		},
		{
			name: "server error text",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + ` failed: an error on the server ("boom") has prevented the request from succeeding`),
			calls:   1,
		},
		{
			name: "server error Status",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusForbidden)
				fmt.Fprint(w, `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"no access","code":403}`)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: no access"),
			calls:   1,
		},
		{
			name: "v1beta1 answer to a v1 review",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"kind":"ConversionReview","apiVersion":"apiextensions.k8s.io/v1beta1","response":{}}`)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: converting (v1beta1.ConversionReview) to (v1.ConversionReview): unknown conversion"),
			calls:   1,
		},
		{
			name: "answer without kind",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, `{"response":{}}`)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: expected webhook response of apiextensions.k8s.io/v1, Kind=ConversionReview, got /, Kind="),
			calls:   1,
		},
		{
			name: "empty answer",
			handler: func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusOK)
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("conversion webhook for " + gvkV1 + " failed: 0-length response with status code: 200 and content type: application/json"),
			calls:   1,
		},
		{
			name: "no supported review version",
			conv: func(k *hook) *apiextensionsv1.CustomResourceConversion {
				return webhookConversion(k.srv.URL+"/convert", k.caPEM, "v2")
			},
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v2",
			wantErr: q("no supported conversion review versions"),
		},
		{
			name:    "invalid target version",
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v9",
			wantErr: q("request to convert CR to an invalid group/version: stable.example.com/v9"),
		},
		{
			name:    "invalid source version",
			objs:    []*unstructured.Unstructured{widget("v7", "a", "red")},
			to:      "v2",
			wantErr: q("request to convert CR from an invalid group/version: stable.example.com/v7"),
		},
		{
			name:    "invalid source group in a list",
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red"), {Object: map[string]any{"apiVersion": "other.io/v1"}}},
			to:      "v2",
			wantErr: q("request to convert CR list failed, list index 1 has invalid group/version: other.io/v1"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var k *hook
			handler := tc.handler
			if handler == nil {
				handler = converting(t, &k, tc.tamper)
			}
			k = startHook(t, handler)
			conv := webhookConversion(k.srv.URL+"/convert", k.caPEM)
			if tc.conv != nil {
				conv = tc.conv(k)
			}
			var opts Options
			if tc.opts != nil {
				opts = tc.opts(k)
			}
			c, err := New(widgetCRD(conv), opts)
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			if tc.ctx != nil {
				ctx, cancel = tc.ctx()
			}
			defer cancel()
			before := make([]*unstructured.Unstructured, len(tc.objs))
			for i, o := range tc.objs {
				before[i] = o.DeepCopy()
			}
			err = c.Convert(ctx, tc.objs, tc.to)
			if tc.wantErr != "" {
				if err == nil || !regexp.MustCompile("^"+tc.wantErr+"$").MatchString(err.Error()) {
					t.Fatalf("error = %v\nwant match %s", err, tc.wantErr)
				}
				if !reflect.DeepEqual(tc.objs, before) {
					t.Errorf("a failed conversion changed the objects: %v", tc.objs)
				}
			} else {
				if err != nil {
					t.Fatal(err)
				}
				for i := range tc.want {
					if !reflect.DeepEqual(tc.objs[i].Object, tc.want[i].Object) {
						t.Errorf("object %d = %v\nwant %v", i, tc.objs[i].Object, tc.want[i].Object)
					}
				}
			}
			if got := k.calls.Load(); got != tc.calls {
				t.Errorf("webhook called %d times, want %d", got, tc.calls)
			}
			if got := k.objects.Load(); tc.objects != 0 && got != tc.objects {
				t.Errorf("webhook received %d objects, want %d", got, tc.objects)
			}
		})
	}
}

// stall answers only after the client gave up (or two seconds).
func stall(w http.ResponseWriter, r *http.Request) {
	// Reading the body lets the server notice the client closing the connection.
	_, _ = io.Copy(io.Discard, r.Body)
	select {
	case <-r.Context().Done():
	case <-time.After(2 * time.Second):
	}
}

// q quotes a literal for the error patterns.
func q(s string) string { return regexp.QuoteMeta(s) }

func TestWebhookNew(t *testing.T) {
	badURL := "https://[::1"
	cases := []struct {
		name    string
		conv    *apiextensionsv1.CustomResourceConversion
		wantErr string
	}{
		{"caBundle without PEM", webhookConversion("https://127.0.0.1/convert", []byte("not a certificate")), "unable to load root certificates: unable to parse bytes as PEM block"},
		{"caBundle without a certificate", webhookConversion("https://127.0.0.1/convert", []byte("-----BEGIN KEY-----\nAAAA\n-----END KEY-----\n")), "unable to load root certificates: no valid certificate authority data seen"},
		{"blank caBundle uses the system roots", webhookConversion("https://127.0.0.1/convert", []byte(" \n")), ""},
		{"unparsable URL", webhookConversion(badURL, nil), `Unparsable URL: parse "https://[::1": missing ']' in host`},
		{"neither URL nor service", &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter, Webhook: &apiextensionsv1.WebhookConversion{ClientConfig: &apiextensionsv1.WebhookClientConfig{}}}, "webhook configuration must have either service or URL"},
		{"no client config", &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.WebhookConverter}, "conversion webhook of CRD widgets.stable.example.com has no clientConfig"},
		{"unknown strategy", &apiextensionsv1.CustomResourceConversion{Strategy: "Magic"}, `unknown conversion strategy "Magic" for CRD widgets.stable.example.com`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(widgetCRD(tc.conv), Options{})
			if fmt.Sprint(err) != fmt.Sprint(errorOrNil(tc.wantErr)) {
				t.Errorf("error = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func errorOrNil(s string) error {
	if s == "" {
		return nil
	}
	return fmt.Errorf("%s", s)
}

// TestWebhookRequest checks the review the webhook receives.
func TestWebhookRequest(t *testing.T) {
	type seen struct {
		req                      *apiextensionsv1.ConversionRequest
		path, query, contentType string
	}
	var mu sync.Mutex
	var got seen
	var k *hook
	record := func(req *apiextensionsv1.ConversionRequest, _ *apiextensionsv1.ConversionResponse) {
		mu.Lock()
		got.req = req
		mu.Unlock()
	}
	k = startHook(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got.path, got.query, got.contentType = r.URL.Path, r.URL.RawQuery, r.Header.Get("Content-Type")
		mu.Unlock()
		converting(t, &k, record).ServeHTTP(w, r)
	}))
	c, err := New(widgetCRD(webhookConversion(k.srv.URL+"/convert/", k.caPEM)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Convert(context.Background(), []*unstructured.Unstructured{widget("v1", "a", "red")}, "v2"); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if got.req == nil || len(got.req.Objects) != 1 {
		t.Fatalf("webhook saw %+v", got.req)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"path is cleaned", got.path, "/convert"},
		{"timeout query", got.query, "timeout=30s"},
		{"content type", got.contentType, "application/json"},
		{"desired apiVersion", got.req.DesiredAPIVersion, "stable.example.com/v2"},
		{"uid set", got.req.UID != "", true},
		{"object sent as stored", strings.Contains(string(got.req.Objects[0].Raw), `"color":"red"`), true},
	}
	for _, ch := range checks {
		t.Run(ch.name, func(t *testing.T) {
			if !reflect.DeepEqual(ch.got, ch.want) {
				t.Errorf("got %v, want %v", ch.got, ch.want)
			}
		})
	}
}
