package builtin_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

func pod(name, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}
}

func int64p(v int64) *int64 { return &v }

// TestPodGracefulDeletion follows upstream: scheduled pods wait for the kubelet,
// unscheduled ones go at once, a zero grace period forces the deletion.
func TestPodGracefulDeletion(t *testing.T) {
	in := servertest.Start(t)
	pods := kubernetes.NewForConfigOrDie(in.Config).CoreV1().Pods("default")
	ctx := context.Background()
	tests := []struct {
		name      string
		node      string
		grace     *int64
		wantGone  bool
		wantGrace int64
	}{
		{name: "unscheduled pod goes at once", wantGone: true},
		{name: "scheduled pod lingers for its termination grace period", node: "n1", wantGrace: 30},
		{name: "requested grace period wins", node: "n1", grace: int64p(5), wantGrace: 5},
		{name: "zero grace period forces deletion", node: "n1", grace: int64p(0), wantGone: true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := "p" + string(rune('a'+i))
			if _, err := pods.Create(ctx, pod(name, tc.node), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: tc.grace}); err != nil {
				t.Fatal(err)
			}
			got, err := pods.Get(ctx, name, metav1.GetOptions{})
			if tc.wantGone {
				if !apierrors.IsNotFound(err) {
					t.Fatalf("get after delete: %v, want NotFound", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.DeletionTimestamp == nil || got.DeletionGracePeriodSeconds == nil || *got.DeletionGracePeriodSeconds != tc.wantGrace {
				t.Fatalf("deletionTimestamp=%v grace=%v, want a deadline with grace %d", got.DeletionTimestamp, got.DeletionGracePeriodSeconds, tc.wantGrace)
			}
			if err := pods.Delete(ctx, name, metav1.DeleteOptions{GracePeriodSeconds: int64p(0)}); err != nil {
				t.Fatal(err)
			}
			if _, err := pods.Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("after forced delete: %v, want NotFound", err)
			}
		})
	}
}

// TestPodBinding assigns a pod the way the scheduler does, once.
func TestPodBinding(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	pods := cs.CoreV1().Pods("default")
	ctx := context.Background()
	if _, err := pods.Create(ctx, pod("bound", ""), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		binding *corev1.Binding
		check   func(error) bool
	}{
		{"binds an unassigned pod", &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "bound"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}},
			func(err error) bool { return err == nil }},
		{"refuses a second binding", &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "bound"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n2"}},
			apierrors.IsConflict},
		{"requires a target", &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "bound"}},
			apierrors.IsInvalid},
		{"missing pod", &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: "nope"}, Target: corev1.ObjectReference{Kind: "Node", Name: "n1"}},
			apierrors.IsNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := pods.Bind(ctx, tc.binding, metav1.CreateOptions{}); !tc.check(err) {
				t.Fatalf("bind: unexpected result %v", err)
			}
		})
	}
	got, err := pods.Get(ctx, "bound", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Spec.NodeName != "n1" || len(got.Status.Conditions) != 1 || got.Status.Conditions[0].Type != corev1.PodScheduled {
		t.Errorf("pod after binding: nodeName=%q conditions=%v, want n1 and PodScheduled", got.Spec.NodeName, got.Status.Conditions)
	}
}

// TestComponentStatuses lists the deprecated componentstatuses: etcd answers, the
// controller manager and scheduler are not running here.
func TestComponentStatuses(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	list, err := cs.CoreV1().ComponentStatuses().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]corev1.ConditionStatus{}
	for _, c := range list.Items {
		got[c.Name] = c.Conditions[0].Status
	}
	want := map[string]corev1.ConditionStatus{"etcd-0": corev1.ConditionTrue, "scheduler": corev1.ConditionUnknown, "controller-manager": corev1.ConditionUnknown}
	for name, status := range want {
		if got[name] != status {
			t.Errorf("%s: %q, want %q (all: %v)", name, got[name], status, got)
		}
	}
	if _, err := cs.CoreV1().ComponentStatuses().Get(context.Background(), "nope", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("get unknown component: %v, want NotFound", err)
	}
}
