package e2e

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

func createNamespace(t *testing.T, c context.Context, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func busybox(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}
}

// waitNamespaceGone waits for the namespace to disappear and returns how long it took.
func waitNamespaceGone(t *testing.T, c context.Context, cs kubernetes.Interface, name string, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	err := wait.PollUntilContextTimeout(c, 50*time.Millisecond, within, true, func(c context.Context) (bool, error) {
		_, err := cs.CoreV1().Namespaces().Get(c, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if err != nil {
		ns, _ := cs.CoreV1().Namespaces().Get(c, name, metav1.GetOptions{})
		t.Fatalf("namespace %s not gone within %s: %v; status %+v", name, within, err, ns.Status)
	}
	return time.Since(start)
}

// TestControlPlaneNamespaceThenPod: with nothing but kapi running, a pod created
// right after its namespace is admitted (the default ServiceAccount exists), and the
// namespace gets the kube-root-ca.crt ConfigMap its token volume projects.
func TestControlPlaneNamespaceThenPod(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, time.Minute)
	for i := range 5 {
		ns := fmt.Sprintf("cp-pod-%d-%s", i, randSuffix())
		createNamespace(t, c, cs, ns)
		pod, err := cs.CoreV1().Pods(ns).Create(c, busybox("p"), metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("pod right after namespace %s: %v", ns, err)
		}
		if pod.Spec.ServiceAccountName != "default" {
			t.Errorf("serviceAccountName = %q, want default", pod.Spec.ServiceAccountName)
		}
		err = wait.PollUntilContextTimeout(c, 20*time.Millisecond, 10*time.Second, true, func(c context.Context) (bool, error) {
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "kube-root-ca.crt", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return err == nil && cm.Data["ca.crt"] != "", err
		})
		if err != nil {
			t.Fatalf("kube-root-ca.crt in %s: %v", ns, err)
		}
	}
}

// TestControlPlaneNamespaceDeletion deletes a namespace holding objects of many
// kinds and watches it disappear.
func TestControlPlaneNamespaceDeletion(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 2*time.Minute)
	ns := "cp-del-" + randSuffix()
	createNamespace(t, c, cs, ns)
	labels := map[string]string{"app": "x"}
	creates := []func() error{
		func() error {
			_, err := cs.CoreV1().Pods(ns).Create(c, busybox("p"), metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Secrets(ns).Create(c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().Services(ns).Create(c, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "svc"},
				Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.AppsV1().Deployments(ns).Create(c, &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d"}, Spec: appsv1.DeploymentSpec{
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: busybox("").Spec},
			}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.RbacV1().RoleBindings(ns).Create(c, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "rb"},
				RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects: []rbacv1.Subject{{Kind: "User", Name: "someone"}}}, metav1.CreateOptions{})
			return err
		},
		func() error {
			_, err := cs.CoreV1().ServiceAccounts(ns).Create(c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{})
			return err
		},
	}
	for _, create := range creates {
		if err := create(); err != nil {
			t.Fatal(err)
		}
	}
	if err := cs.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	took := waitNamespaceGone(t, c, cs, ns, time.Minute)
	t.Logf("namespace with %d kinds of objects deleted in %s", len(creates), took.Round(time.Millisecond))
	svcs, err := cs.CoreV1().Services(ns).List(c, metav1.ListOptions{})
	if err != nil || len(svcs.Items) != 0 {
		t.Errorf("services left behind: %v, %v", svcs, err)
	}
}

// TestControlPlaneNamespaceDeletionTiming times the deletion of a namespace holding
// 1,000 objects.
func TestControlPlaneNamespaceDeletionTiming(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 5*time.Minute)
	ns := "cp-1000-" + randSuffix()
	createNamespace(t, c, cs, ns)
	const objects = 1000
	var wg sync.WaitGroup
	errs := make(chan error, objects)
	sem := make(chan struct{}, 16)
	for i := range objects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			name := fmt.Sprintf("o-%04d", i)
			var err error
			if i%2 == 0 {
				_, err = cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string]string{"k": name}}, metav1.CreateOptions{})
			} else {
				_, err = cs.CoreV1().Secrets(ns).Create(c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cs.CoreV1().Namespaces().Delete(c, ns, metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitNamespaceGone(t, c, cs, ns, 3*time.Minute)
	t.Logf("namespace with %d objects deleted in %s", objects, time.Since(start).Round(time.Millisecond))
}

// TestControlPlaneAggregatedClusterRole: a ClusterRole with an aggregationRule picks
// up a new labelled role's rules.
func TestControlPlaneAggregatedClusterRole(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, time.Minute)
	suffix := randSuffix()
	label := "example.com/aggregate-" + suffix
	agg := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cp-agg-" + suffix}, AggregationRule: &rbacv1.AggregationRule{
		ClusterRoleSelectors: []metav1.LabelSelector{{MatchLabels: map[string]string{label: "true"}}}}}
	if _, err := cs.RbacV1().ClusterRoles().Create(c, agg, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	rule := rbacv1.PolicyRule{Verbs: []string{"get"}, APIGroups: []string{"example.com"}, Resources: []string{"widgets"}}
	piece := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "cp-piece-" + suffix, Labels: map[string]string{label: "true"}},
		Rules: []rbacv1.PolicyRule{rule}}
	if _, err := cs.RbacV1().ClusterRoles().Create(c, piece, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	err := wait.PollUntilContextTimeout(c, 20*time.Millisecond, 20*time.Second, true, func(c context.Context) (bool, error) {
		got, err := cs.RbacV1().ClusterRoles().Get(c, agg.Name, metav1.GetOptions{})
		return err == nil && len(got.Rules) == 1 && slices.Equal(got.Rules[0].Resources, rule.Resources), err
	})
	if err != nil {
		t.Fatalf("aggregated role never picked up the labelled rule: %v", err)
	}
}

// TestControlPlaneControllersOff: --controllers= (empty) turns the controllers off,
// for when kube-controller-manager runs beside kapi: nothing creates the default
// ServiceAccount.
func TestControlPlaneControllersOff(t *testing.T) {
	s := startKapiWithArgs(t, filepath.Join(t.TempDir(), "data"), "--controllers=")
	cs := s.clientset(t)
	c := ctx(t, time.Minute)
	createNamespace(t, c, cs, "alone")
	time.Sleep(time.Second)
	if _, err := cs.CoreV1().ServiceAccounts("alone").Get(c, "default", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("default ServiceAccount with controllers off: err = %v, want NotFound", err)
	}
}

// TestControlPlaneGarbageCollection runs Background, Foreground and Orphan deletion
// over a three-level owner chain of different kinds: ConfigMap → Secret → ServiceAccount.
func TestControlPlaneGarbageCollection(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 2*time.Minute)
	ns := "cp-gc-" + randSuffix()
	createNamespace(t, c, cs, ns)
	block := true
	exists := func(get func() (metav1.Object, error)) (bool, error) {
		_, err := get()
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	}
	tests := []struct {
		policy metav1.DeletionPropagation
		// wantLeft: whether the secret and the service account survive.
		wantLeft bool
	}{
		{metav1.DeletePropagationBackground, false},
		{metav1.DeletePropagationForeground, false},
		{metav1.DeletePropagationOrphan, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			name := strings.ToLower(string(tt.policy))
			top, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			mid, err := cs.CoreV1().Secrets(ns).Create(c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "ConfigMap", Name: top.Name, UID: top.UID, BlockOwnerDeletion: &block}}}}, metav1.CreateOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := cs.CoreV1().ServiceAccounts(ns).Create(c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, OwnerReferences: []metav1.OwnerReference{
				{APIVersion: "v1", Kind: "Secret", Name: mid.Name, UID: mid.UID, BlockOwnerDeletion: &block}}}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			policy := tt.policy
			if err := cs.CoreV1().ConfigMaps(ns).Delete(c, name, metav1.DeleteOptions{PropagationPolicy: &policy}); err != nil {
				t.Fatal(err)
			}
			err = wait.PollUntilContextTimeout(c, 50*time.Millisecond, 30*time.Second, true, func(c context.Context) (bool, error) {
				topLeft, err := exists(func() (metav1.Object, error) { return cs.CoreV1().ConfigMaps(ns).Get(c, name, metav1.GetOptions{}) })
				if err != nil || topLeft {
					return false, err
				}
				midLeft, err := exists(func() (metav1.Object, error) { return cs.CoreV1().Secrets(ns).Get(c, name, metav1.GetOptions{}) })
				if err != nil {
					return false, err
				}
				leafLeft, err := exists(func() (metav1.Object, error) {
					return cs.CoreV1().ServiceAccounts(ns).Get(c, name, metav1.GetOptions{})
				})
				if err != nil {
					return false, err
				}
				return midLeft == tt.wantLeft && leafLeft == tt.wantLeft, nil
			})
			if err != nil {
				t.Fatalf("%s cascade did not settle: %v", tt.policy, err)
			}
			if tt.wantLeft {
				sec, err := cs.CoreV1().Secrets(ns).Get(c, name, metav1.GetOptions{})
				if err != nil || len(sec.OwnerReferences) != 0 {
					t.Errorf("orphaned secret owners = %+v (%v), want none", sec.OwnerReferences, err)
				}
			}
		})
	}
}

// TestControlPlaneResourceQuotaStatus: a ResourceQuota's status.hard and status.used
// follow the objects in its namespace, creations and deletions alike.
func TestControlPlaneResourceQuotaStatus(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 2*time.Minute)
	ns := "cp-quota-" + randSuffix()
	createNamespace(t, c, cs, ns)
	hard := corev1.ResourceList{corev1.ResourcePods: resource.MustParse("3")}
	if _, err := cs.CoreV1().ResourceQuotas(ns).Create(c, &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "q"},
		Spec: corev1.ResourceQuotaSpec{Hard: hard}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	usedPods := func(want int64) {
		t.Helper()
		var last corev1.ResourceQuotaStatus
		err := wait.PollUntilContextTimeout(c, 100*time.Millisecond, 45*time.Second, true, func(c context.Context) (bool, error) {
			q, err := cs.CoreV1().ResourceQuotas(ns).Get(c, "q", metav1.GetOptions{})
			if err != nil {
				return false, err
			}
			last = q.Status
			h, used := q.Status.Hard[corev1.ResourcePods], q.Status.Used[corev1.ResourcePods]
			return h.Value() == 3 && used.Value() == want && q.Status.Used != nil, nil
		})
		if err != nil {
			t.Fatalf("quota status never showed %d pods used: %v; last %+v", want, err, last)
		}
	}
	usedPods(0)
	for _, name := range []string{"a", "b"} {
		if _, err := cs.CoreV1().Pods(ns).Create(c, busybox(name), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	usedPods(2)
	if err := cs.CoreV1().Pods(ns).Delete(c, "a", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	usedPods(1)
}
