package builtin_test

import (
	"context"
	"net"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestServiceDryRunClusterIP checks that a dry-run create shows the ClusterIP a real
// create would get and takes none. As upstream's, it checks a requested address
// against the range only, not whether it is taken.
func TestServiceDryRunClusterIP(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	svc := func(ip string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "dry"},
			Spec: corev1.ServiceSpec{ClusterIP: ip, Ports: []corev1.ServicePort{{Port: 80}}}}
	}
	before, err := cs.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, ip, wantErr string
	}{
		{name: "free address shown", ip: ""},
		{name: "requested free address", ip: "10.0.0.77"},
		{name: "requested taken address", ip: "10.0.0.1"},
		{name: "requested address out of range", ip: "10.9.0.1", wantErr: "the provided IP (10.9.0.1) is not in the valid range. The range of valid IPs is 10.0.0.0/24"},
		{name: "network address", ip: "10.0.0.0", wantErr: "the provided IP (10.0.0.0) is not in the valid range"},
	}
	_, cidr, _ := net.ParseCIDR("10.0.0.0/24")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cs.CoreV1().Services("default").Create(ctx, svc(tc.ip), dry)
			if tc.wantErr != "" {
				if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want 422 %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			ip := net.ParseIP(got.Spec.ClusterIP)
			if ip == nil || !cidr.Contains(ip) || len(got.Spec.ClusterIPs) != 1 || (tc.ip != "" && got.Spec.ClusterIP != tc.ip) {
				t.Errorf("clusterIP %q clusterIPs %v", got.Spec.ClusterIP, got.Spec.ClusterIPs)
			}
		})
	}
	after, err := cs.NetworkingV1().IPAddresses().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after.Items) != len(before.Items) {
		t.Errorf("IPAddresses %d → %d: a dry run took an address", len(before.Items), len(after.Items))
	}
	if _, err := cs.CoreV1().Services("default").Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("dry-run service stored: %v", err)
	}
}
