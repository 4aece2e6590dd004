package bootstrap_test

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestObjectsAfterStart checks what a fresh server holds, against the objects
// kube-apiserver v1.37 creates at start (../shared/reference/bootstrap).
func TestObjectsAfterStart(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()

	t.Run("kubernetes service", func(t *testing.T) {
		svc, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if svc.Spec.ClusterIP != "10.0.0.1" || len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "https" || svc.Spec.Ports[0].Port != 443 {
			t.Errorf("spec = %+v, want clusterIP 10.0.0.1 and port https/443", svc.Spec)
		}
		if svc.Labels["component"] != "apiserver" || svc.Labels["provider"] != "kubernetes" {
			t.Errorf("labels = %v", svc.Labels)
		}
	})
	t.Run("configmaps", func(t *testing.T) {
		for _, name := range []string{"extension-apiserver-authentication", "kube-apiserver-legacy-service-account-token-tracking"} {
			cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if name == "extension-apiserver-authentication" && !strings.Contains(cm.Data["client-ca-file"], "BEGIN CERTIFICATE") {
				t.Errorf("client-ca-file = %q, want the client CA", cm.Data["client-ca-file"])
			}
		}
	})
	t.Run("identity lease", func(t *testing.T) {
		leases, err := cs.CoordinationV1().Leases("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
		if err != nil {
			t.Fatal(err)
		}
		if len(leases.Items) != 1 || !strings.HasPrefix(leases.Items[0].Name, "apiserver-") || leases.Items[0].Spec.RenewTime == nil {
			t.Fatalf("leases = %+v, want one apiserver-<id> lease with a renew time", leases.Items)
		}
	})
	t.Run("kubernetes service IP is taken", func(t *testing.T) {
		svc, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		svc.ObjectMeta = metav1.ObjectMeta{Name: "clash", Namespace: "default"}
		_, err = cs.CoreV1().Services("default").Create(ctx, svc, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), "provided IP is already allocated") {
			t.Fatalf("create with 10.0.0.1: err = %v, want already allocated", err)
		}
	})
}
