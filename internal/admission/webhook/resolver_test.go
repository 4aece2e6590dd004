package webhook

import (
	"context"
	"testing"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/kapi-dev/kapi/internal/admission/webhook/admissiontest"
)

// TestServiceResolution resolves service references through real Service and
// EndpointSlice stores, with and without aggregator routing.
func TestServiceResolution(t *testing.T) {
	e := admissiontest.Start(t, nil)
	ctx := context.Background()
	if _, err := e.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "hooks"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "hook", Namespace: "hooks"},
		Spec: corev1.ServiceSpec{ClusterIP: "10.0.0.50", Ports: []corev1.ServicePort{{Name: "https", Port: 443, TargetPort: intstr.FromInt32(8443)}}}}
	if _, err := e.Client.CoreV1().Services("hooks").Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	ready, notReady := true, false
	name, port := "https", int32(8443)
	slice := &discoveryv1.EndpointSlice{ObjectMeta: metav1.ObjectMeta{Name: "hook-1", Namespace: "hooks", Labels: map[string]string{discoveryv1.LabelServiceName: "hook"}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{
			{Addresses: []string{"10.1.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &notReady}},
			{Addresses: []string{"10.1.0.2"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}},
		},
		Ports: []discoveryv1.EndpointPort{{Name: &name, Port: &port}}}
	if _, err := e.Client.DiscoveryV1().EndpointSlices("hooks").Create(ctx, slice, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	services := ServicesFrom(e.Store(t, schema.GroupVersionResource{Version: "v1", Resource: "services"}))
	slices := EndpointSlicesFrom(e.Store(t, schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}))
	// The readers go through the watch cache, which may lag the writes a moment.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, errSvc := services(ctx, "hooks", "hook")
		got, errSlices := slices(ctx, "hooks", "hook")
		if errSvc == nil && errSlices == nil && len(got) == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("watch cache did not catch up: %v %v", errSvc, errSlices)
		}
		time.Sleep(10 * time.Millisecond)
	}
	path := "/validate"
	ref := func(p *int32) admissionregistrationv1.WebhookClientConfig {
		return admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "hooks", Name: "hook", Path: &path, Port: p}}
	}
	cases := []struct {
		name       string
		routing    bool
		cc         admissionregistrationv1.WebhookClientConfig
		wantURL    string
		wantServer string
		wantErr    bool
	}{
		{name: "cluster IP, default port 443", cc: ref(nil), wantURL: "https://10.0.0.50:443/validate", wantServer: "hook.hooks.svc"},
		{name: "aggregator routing picks a ready endpoint", routing: true, cc: ref(nil), wantURL: "https://10.1.0.2:8443/validate", wantServer: "hook.hooks.svc"},
		{name: "unknown port", cc: ref(ptr(int32(9999))), wantErr: true},
		{name: "unknown service", cc: admissionregistrationv1.WebhookClientConfig{Service: &admissionregistrationv1.ServiceReference{Namespace: "hooks", Name: "nope"}}, wantErr: true},
		{name: "url", cc: admissionregistrationv1.WebhookClientConfig{URL: ptr("https://hooks.example.com:8443/x")}, wantURL: "https://hooks.example.com:8443/x", wantServer: "hooks.example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := resolver{services: services, endpointSlices: slices, aggregatorRouting: tc.routing}
			u, server, err := r.resolve(ctx, tc.cc)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("resolved %v, want an error", u)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if u.String() != tc.wantURL || server != tc.wantServer {
				t.Errorf("got %s (%s), want %s (%s)", u, server, tc.wantURL, tc.wantServer)
			}
		})
	}
}
