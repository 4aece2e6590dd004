package namespace_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// fill creates objects of several kinds in ns.
// withControllers names the built-in controllers explicitly (the default, "*").
func withControllers(c *server.Config) { c.Controllers = []string{"*"} }

func fill(t *testing.T, cs kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	meta := func(name string) metav1.ObjectMeta { return metav1.ObjectMeta{Name: name, Namespace: ns} }
	for i := range 3 {
		name := fmt.Sprintf("o%d", i)
		steps := []func() error{
			func() error {
				_, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: meta(name)}, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: meta(name)}, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: meta(name),
					Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{})
				return err
			},
			func() error {
				_, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{ObjectMeta: meta(name)}, metav1.CreateOptions{})
				return err
			},
			func() error {
				labels := map[string]string{"app": name}
				_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{ObjectMeta: meta(name), Spec: appsv1.DeploymentSpec{
					Selector: &metav1.LabelSelector{MatchLabels: labels},
					Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
						Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}},
				}}, metav1.CreateOptions{})
				return err
			},
		}
		for _, step := range steps {
			if err := step(); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func waitGone(t *testing.T, cs kubernetes.Interface, ns string, within time.Duration) {
	t.Helper()
	var last *corev1.Namespace
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, within, true, func(ctx context.Context) (bool, error) {
		got, err := cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		last = got
		return false, err
	})
	if err != nil {
		t.Fatalf("namespace %s still there: %v; status %+v", ns, err, last.Status)
	}
}

func condition(ns *corev1.Namespace, t corev1.NamespaceConditionType) *corev1.NamespaceCondition {
	for i := range ns.Status.Conditions {
		if ns.Status.Conditions[i].Type == t {
			return &ns.Status.Conditions[i]
		}
	}
	return nil
}

func TestNamespaceDeletion(t *testing.T) {
	in := servertest.StartWith(t, withControllers)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	create := func(t *testing.T, name string) {
		t.Helper()
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("empty namespace goes away", func(t *testing.T) {
		create(t, "empty")
		if err := cs.CoreV1().Namespaces().Delete(ctx, "empty", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cs, "empty", 20*time.Second)
	})
	t.Run("namespace full of objects goes away with them", func(t *testing.T) {
		create(t, "full")
		fill(t, cs, "full")
		if err := cs.CoreV1().Namespaces().Delete(ctx, "full", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cs, "full", 30*time.Second)
		cms, err := cs.CoreV1().ConfigMaps("full").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		deps, err := cs.AppsV1().Deployments("full").List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(cms.Items)+len(deps.Items) != 0 {
			t.Errorf("left behind: %d configmaps, %d deployments", len(cms.Items), len(deps.Items))
		}
	})
	t.Run("content finalizers hold the namespace and show in its conditions", func(t *testing.T) {
		create(t, "held")
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "held", Finalizers: []string{"example.com/hold"}}}
		if _, err := cs.CoreV1().ConfigMaps("held").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Namespaces().Delete(ctx, "held", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		var ns *corev1.Namespace
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			ns, err = cs.CoreV1().Namespaces().Get(ctx, "held", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			c := condition(ns, corev1.NamespaceFinalizersRemaining)
			return c != nil && c.Status == corev1.ConditionTrue, nil
		})
		if err != nil {
			t.Fatalf("conditions never reported the finalizer: %v; %+v", err, ns.Status)
		}
		wantConds := map[corev1.NamespaceConditionType]struct {
			status          corev1.ConditionStatus
			reason, message string
		}{
			corev1.NamespaceDeletionDiscoveryFailure: {corev1.ConditionFalse, "ResourcesDiscovered", "All resources successfully discovered"},
			corev1.NamespaceDeletionGVParsingFailure: {corev1.ConditionFalse, "ParsedGroupVersions", "All legacy kube types successfully parsed"},
			corev1.NamespaceDeletionContentFailure:   {corev1.ConditionFalse, "ContentDeleted", "All content successfully deleted, may be waiting on finalization"},
			corev1.NamespaceContentRemaining:         {corev1.ConditionTrue, "SomeResourcesRemain", "Some resources are remaining: configmaps. has 1 resource instances"},
			corev1.NamespaceFinalizersRemaining:      {corev1.ConditionTrue, "SomeFinalizersRemain", "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"},
		}
		for typ, want := range wantConds {
			c := condition(ns, typ)
			if c == nil || c.Status != want.status || c.Reason != want.reason || c.Message != want.message {
				t.Errorf("condition %s = %+v, want %+v", typ, c, want)
			}
		}
		if ns.Status.Phase != corev1.NamespaceTerminating {
			t.Errorf("phase = %s, want Terminating", ns.Status.Phase)
		}
		if _, err := cs.CoreV1().ConfigMaps("held").Patch(ctx, "held", "application/merge-patch+json",
			[]byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cs, "held", 30*time.Second)
	})
	t.Run("a namespace finalizer of someone else's keeps it", func(t *testing.T) {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "foreign"}, Spec: corev1.NamespaceSpec{Finalizers: []corev1.FinalizerName{"example.com/other"}}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Namespaces().Delete(ctx, "foreign", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		var got *corev1.Namespace
		err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 20*time.Second, true, func(ctx context.Context) (bool, error) {
			var err error
			got, err = cs.CoreV1().Namespaces().Get(ctx, "foreign", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			return len(got.Spec.Finalizers) == 1, nil
		})
		if err != nil || got.Spec.Finalizers[0] != "example.com/other" {
			t.Fatalf("kubernetes finalizer not removed alone: %v, %+v", err, got)
		}
		got.Spec.Finalizers = nil
		if _, err := cs.CoreV1().Namespaces().Finalize(ctx, got, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitGone(t, cs, "foreign", 10*time.Second)
	})
}
