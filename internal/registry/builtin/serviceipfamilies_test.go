package builtin_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestServiceIPFamilies creates Services with every combination of address
// fields on the single-stack (IPv4) test server, and checks the policy and
// families it settles or the error it gives, as kube-apiserver v1.37.2 with one
// IPv4 service range answered the same requests.
func TestServiceIPFamilies(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	v4, v6 := corev1.IPv4Protocol, corev1.IPv6Protocol
	single, prefer, require := corev1.IPFamilyPolicySingleStack, corev1.IPFamilyPolicyPreferDualStack, corev1.IPFamilyPolicyRequireDualStack
	tests := []struct {
		name         string
		spec         corev1.ServiceSpec
		wantPolicy   corev1.IPFamilyPolicy
		wantFamilies []corev1.IPFamily
		wantErr      string
	}{
		{name: "defaults", spec: corev1.ServiceSpec{Selector: map[string]string{"a": "b"}}, wantPolicy: single, wantFamilies: []corev1.IPFamily{v4}},
		{name: "headless with selector", spec: corev1.ServiceSpec{ClusterIP: "None", Selector: map[string]string{"a": "b"}},
			wantPolicy: single, wantFamilies: []corev1.IPFamily{v4}},
		{name: "headless selectorless takes both families", spec: corev1.ServiceSpec{ClusterIP: "None"},
			wantPolicy: require, wantFamilies: []corev1.IPFamily{v4, v6}},
		{name: "headless selectorless IPv6 first", spec: corev1.ServiceSpec{ClusterIP: "None", IPFamilies: []corev1.IPFamily{v6}},
			wantPolicy: require, wantFamilies: []corev1.IPFamily{v6, v4}},
		{name: "headless selectorless single stack", spec: corev1.ServiceSpec{ClusterIP: "None", IPFamilyPolicy: &single},
			wantPolicy: single, wantFamilies: []corev1.IPFamily{v4}},
		{name: "prefer dual stack stays single", spec: corev1.ServiceSpec{IPFamilyPolicy: &prefer}, wantPolicy: prefer, wantFamilies: []corev1.IPFamily{v4}},
		{name: "require dual stack", spec: corev1.ServiceSpec{IPFamilyPolicy: &require},
			wantErr: `spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services`},
		{name: "IPv6 family", spec: corev1.ServiceSpec{IPFamilies: []corev1.IPFamily{v6}},
			wantErr: `spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster`},
		{name: "two families single stack", spec: corev1.ServiceSpec{IPFamilies: []corev1.IPFamily{v4, v6}},
			wantErr: `spec.ipFamilyPolicy: Invalid value: "SingleStack": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified`},
		{name: "two families prefer", spec: corev1.ServiceSpec{IPFamilyPolicy: &prefer, IPFamilies: []corev1.IPFamily{v4, v6}},
			wantErr: `spec.ipFamilies[1]: Invalid value: "IPv6": not configured on this cluster`},
		{name: "IPv6 address", spec: corev1.ServiceSpec{ClusterIP: "fd00::5"},
			wantErr: `spec.clusterIPs[0]: Invalid value: ["fd00::5"]: IPv6 is not configured on this cluster`},
		{name: "clusterIPs without clusterIP", spec: corev1.ServiceSpec{ClusterIPs: []string{"10.0.0.50", "fd00::5"}},
			wantErr: "spec.clusterIPs: Invalid value: [\"10.0.0.50\",\"fd00::5\"]: must be empty when `clusterIP` is not specified"},
		{name: "clusterIPs disagree with clusterIP", spec: corev1.ServiceSpec{ClusterIP: "10.0.0.50", ClusterIPs: []string{"10.0.0.51"}},
			wantErr: "spec.clusterIPs: Invalid value: [\"10.0.0.51\"]: first value must match `clusterIP`"},
		{name: "address of the other family", spec: corev1.ServiceSpec{ClusterIP: "10.0.0.50", IPFamilies: []corev1.IPFamily{v6}},
			wantErr: "spec.clusterIPs[0]: Invalid value: \"10.0.0.50\": expected an IPv6 value as indicated by `ipFamilies[0]`"},
		{name: "unknown policy", spec: corev1.ServiceSpec{IPFamilyPolicy: ptr.To(corev1.IPFamilyPolicy("Bogus"))},
			wantErr: `spec.ipFamilyPolicy: Unsupported value: "Bogus": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"`},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "fam-" + string(rune('a'+i))}, Spec: tc.spec}
			svc.Spec.Ports = []corev1.ServicePort{{Port: 80}}
			got, err := cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
			if tc.wantErr != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want 422 with %q", err, tc.wantErr)
				}
				if _, err := cs.CoreV1().Services("default").Get(ctx, svc.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
					t.Errorf("refused Service stored: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p := ptr.Deref(got.Spec.IPFamilyPolicy, ""); p != tc.wantPolicy || !slices.Equal(got.Spec.IPFamilies, tc.wantFamilies) {
				t.Errorf("policy %q families %v, want %q %v", p, got.Spec.IPFamilies, tc.wantPolicy, tc.wantFamilies)
			}
		})
	}

	// An update that keeps the two families of a headless selectorless Service
	// while asking for a single stack drops the second.
	t.Run("single stack update drops the second family", func(t *testing.T) {
		svc, err := cs.CoreV1().Services("default").Get(ctx, "fam-c", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.Spec.IPFamilyPolicy = &single
		got, err := cs.CoreV1().Services("default").Update(ctx, svc, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Spec.IPFamilies, []corev1.IPFamily{v4}) {
			t.Errorf("families %v, want [IPv4]", got.Spec.IPFamilies)
		}
	})
}

// TestServiceFromAnotherServiceCIDR creates a ServiceCIDR beside the test server's
// range and a Service asking for one of its addresses, as upstream allows; an
// address of no ServiceCIDR is refused with upstream's words.
func TestServiceFromAnotherServiceCIDR(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	extra := &networkingv1.ServiceCIDR{ObjectMeta: metav1.ObjectMeta{Name: "extra"}, Spec: networkingv1.ServiceCIDRSpec{CIDRs: []string{"10.200.0.0/24"}}}
	if _, err := cs.NetworkingV1().ServiceCIDRs().Create(ctx, extra, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	svc := func(name, ip string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Port: 80}}}}
	}
	got, err := cs.CoreV1().Services("default").Create(ctx, svc("extra", "10.200.0.10"), metav1.CreateOptions{})
	if err != nil || got.Spec.ClusterIP != "10.200.0.10" {
		t.Fatalf("Service in the other ServiceCIDR: %v %+v", err, got)
	}
	if _, err := cs.NetworkingV1().IPAddresses().Get(ctx, "10.200.0.10", metav1.GetOptions{}); err != nil {
		t.Errorf("its IPAddress: %v", err)
	}
	for _, ip := range []string{"10.200.0.0", "10.201.0.1"} {
		_, err := cs.CoreV1().Services("default").Create(ctx, svc("outside", ip), metav1.CreateOptions{})
		want := "failed to allocate IP " + ip + ": the provided network does not match the current range"
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want 422 %q", ip, err, want)
		}
	}
	if err := cs.CoreV1().Services("default").Delete(ctx, "extra", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
}
