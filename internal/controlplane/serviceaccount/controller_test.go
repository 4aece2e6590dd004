package serviceaccount_test

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/controlplane/serviceaccount"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// withControllers names the built-in controllers explicitly (the default, "*").
func withControllers(c *server.Config) { c.Controllers = []string{"*"} }

func newNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	_, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
}

func waitForDefault(t *testing.T, cs kubernetes.Interface, ns string) *corev1.ServiceAccount {
	t.Helper()
	var sa *corev1.ServiceAccount
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, serviceaccount.DefaultName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		sa = got
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("default service account in %s: %v", ns, err)
	}
	return sa
}

func testPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
	}
}

func TestDefaultServiceAccount(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()

	t.Run("system namespaces get one", func(t *testing.T) {
		for _, ns := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
			waitForDefault(t, cs, ns)
		}
	})
	t.Run("a new namespace gets one", func(t *testing.T) {
		newNamespace(t, cs, "fresh")
		waitForDefault(t, cs, "fresh")
	})
	t.Run("a pod created right after its namespace is admitted", func(t *testing.T) {
		for _, ns := range []string{"race-1", "race-2", "race-3"} {
			newNamespace(t, cs, ns)
			pod, err := cs.CoreV1().Pods(ns).Create(ctx, testPod("p"), metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("%s: %v", ns, err)
			}
			if pod.Spec.ServiceAccountName != serviceaccount.DefaultName {
				t.Errorf("%s: serviceAccountName = %q", ns, pod.Spec.ServiceAccountName)
			}
		}
	})
	t.Run("a deleted default account comes back", func(t *testing.T) {
		newNamespace(t, cs, "recreate")
		old := waitForDefault(t, cs, "recreate")
		if err := cs.CoreV1().ServiceAccounts("recreate").Delete(ctx, serviceaccount.DefaultName, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		err := wait.PollUntilContextTimeout(ctx, 10*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
			sa, err := cs.CoreV1().ServiceAccounts("recreate").Get(ctx, serviceaccount.DefaultName, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil && sa.UID != old.UID, err
		})
		if err != nil {
			t.Fatalf("default account not recreated: %v", err)
		}
	})
	t.Run("other accounts are left alone", func(t *testing.T) {
		newNamespace(t, cs, "others")
		waitForDefault(t, cs, "others")
		list, err := cs.CoreV1().ServiceAccounts("others").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 {
			t.Errorf("accounts = %d, want only default", len(list.Items))
		}
	})
}

// TestUnsetControllersRun: a Config that leaves Controllers unset runs them, as the
// zero-config kapi command does.
func TestUnsetControllersRun(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	newNamespace(t, cs, "unset")
	waitForDefault(t, cs, "unset")
}

func TestControllersOff(t *testing.T) {
	tests := []struct {
		name        string
		controllers []string
	}{
		{name: "empty --controllers", controllers: []string{}},
		{name: "all named off", controllers: []string{"*", "-serviceaccount-controller"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := servertest.StartWith(t, func(c *server.Config) { c.Controllers = tt.controllers })
			cs := kubernetes.NewForConfigOrDie(in.Config)
			ctx := context.Background()
			newNamespace(t, cs, "alone")
			time.Sleep(500 * time.Millisecond)
			_, err := cs.CoreV1().ServiceAccounts("alone").Get(ctx, serviceaccount.DefaultName, metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				t.Fatalf("get default account with the controller off: err = %v, want NotFound", err)
			}
			_, err = cs.CoreV1().Pods("alone").Create(ctx, testPod("p"), metav1.CreateOptions{})
			if !apierrors.IsForbidden(err) {
				t.Fatalf("pod without a default account: err = %v, want Forbidden from ServiceAccount admission", err)
			}
		})
	}
}

// TestWritesNeedTheControllersBinding proves the controller writes as
// system:serviceaccount:kube-system:service-account-controller through RBAC: without
// upstream's system:controller:service-account-controller binding nothing is created,
// and once the binding is back the retried namespace gets its account.
func TestWritesNeedTheControllersBinding(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	const binding = "system:controller:service-account-controller"
	saved, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, binding, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := cs.RbacV1().ClusterRoleBindings().Delete(ctx, binding, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // the RBAC index follows by watch
	newNamespace(t, cs, "unbound")
	time.Sleep(time.Second)
	if _, err := cs.CoreV1().ServiceAccounts("unbound").Get(ctx, serviceaccount.DefaultName, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("without the binding: err = %v, want NotFound", err)
	}
	saved.ResourceVersion, saved.UID = "", ""
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, saved, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitForDefault(t, cs, "unbound")
}
