package bootstrap_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
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

// TestIdentityLeaseGC checks that an instance starting deletes the identity leases
// of API servers that stopped renewing them, and only those, as upstream's lease
// garbage collector does.
func TestIdentityLeaseGC(t *testing.T) {
	first := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(first.Config)
	ctx := context.Background()
	hour := int32(3600)
	renewed := func(ago time.Duration) *metav1.MicroTime {
		at := metav1.NewMicroTime(time.Now().Add(-ago))
		return &at
	}
	identity := map[string]string{"apiserver.kubernetes.io/identity": "kube-apiserver"}
	leases := []struct {
		name    string
		labels  map[string]string
		spec    coordinationv1.LeaseSpec
		deleted bool
	}{
		{name: "expired", labels: identity, spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour, RenewTime: renewed(2 * time.Hour)}, deleted: true},
		{name: "never-renewed", labels: identity, spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour}, deleted: true},
		{name: "no-duration", labels: identity, spec: coordinationv1.LeaseSpec{RenewTime: renewed(time.Minute)}, deleted: true},
		{name: "current", labels: identity, spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour, RenewTime: renewed(30 * time.Minute)}},
		{name: "other-component", labels: map[string]string{"apiserver.kubernetes.io/identity": "kube-controller-manager"},
			spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour, RenewTime: renewed(2 * time.Hour)}},
		{name: "unlabelled", spec: coordinationv1.LeaseSpec{LeaseDurationSeconds: &hour, RenewTime: renewed(2 * time.Hour)}},
	}
	for _, l := range leases {
		lease := &coordinationv1.Lease{ObjectMeta: metav1.ObjectMeta{Name: l.name, Labels: l.labels}, Spec: l.spec}
		if _, err := cs.CoordinationV1().Leases("kube-system").Create(ctx, lease, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// A second instance over the same etcd collects the expired leases as it starts.
	servertest.StartWith(t, func(cfg *server.Config) { cfg.EtcdServers = first.Etcd.Endpoints() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		var wrong []string
		for _, l := range leases {
			_, err := cs.CoordinationV1().Leases("kube-system").Get(ctx, l.name, metav1.GetOptions{})
			if gone := apierrors.IsNotFound(err); gone != l.deleted {
				wrong = append(wrong, fmt.Sprintf("%s (deleted %v, err %v)", l.name, gone, err))
			}
		}
		if len(wrong) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the second instance started: %v", wrong)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The instances' own lease is current and stays (one: upstream names it by the
	// host, and both run on this one).
	list, err := cs.CoordinationV1().Leases("kube-system").List(ctx, metav1.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
	if err != nil {
		t.Fatal(err)
	}
	var own int
	for _, l := range list.Items {
		if strings.HasPrefix(l.Name, "apiserver-") {
			own++
		}
	}
	if own != 1 {
		t.Errorf("identity leases = %d apiserver-<id> leases, want the instances' one", own)
	}
}
