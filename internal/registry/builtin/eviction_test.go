package builtin_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestEviction drives pods/eviction against PodDisruptionBudgets whose status the
// test sets, as the disruption controller would.
func TestEviction(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	ns := "default"

	runningPod := func(name string, labels map[string]string, ready bool) {
		t.Helper()
		p, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec:       corev1.PodSpec{NodeName: "node-1", Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p.Status = corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: status}}}
		if _, err := cs.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	budget := func(name, app string, allowed, current, desired int32, lagging bool) {
		t.Helper()
		minAvailable := intstr.FromInt32(1)
		pdb, err := cs.PolicyV1().PodDisruptionBudgets(ns).Create(ctx, &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: &minAvailable, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": app}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		pdb.Status = policyv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed, CurrentHealthy: current, DesiredHealthy: desired,
			ExpectedPods: current, ObservedGeneration: pdb.Generation}
		if lagging {
			pdb.Status.ObservedGeneration = 0
		}
		if _, err := cs.PolicyV1().PodDisruptionBudgets(ns).UpdateStatus(ctx, pdb, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// evict posts an Eviction over raw HTTP: client-go would wait out the 10 seconds
	// of Retry-After a 429 carries, ten times over.
	httpClient := in.HTTPClient(t)
	evict := func(name string) error {
		body := `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"` + name + `","namespace":"default"}}`
		resp, err := httpClient.Post(in.URL+"/api/v1/namespaces/default/pods/"+name+"/eviction", "application/json", strings.NewReader(body))
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		var st metav1.Status
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			return &apierrors.StatusError{ErrStatus: st}
		}
		return nil
	}

	runningPod("guarded", map[string]string{"app": "db"}, true)
	budget("db", "db", 0, 1, 2, false)
	runningPod("free", map[string]string{"app": "web"}, true)
	budget("web", "web", 1, 2, 1, false)
	runningPod("twice", map[string]string{"app": "both", "tier": "x"}, true)
	budget("both-a", "both", 1, 2, 1, false)
	budget("both-b", "both", 1, 2, 1, false)
	runningPod("lagging", map[string]string{"app": "lag"}, true)
	budget("lag", "lag", 1, 2, 1, true)
	if _, err := cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "pending", Labels: map[string]string{"app": "db"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name, pod string
		wantCode  int32
		wantCause string
	}{
		{name: "budget allows no disruption", pod: "guarded", wantCode: 429, wantCause: "The disruption budget db needs 2 healthy pods and has 1 currently"},
		{name: "budget allows one", pod: "free"},
		{name: "budget not yet observed", pod: "lagging", wantCode: 429, wantCause: "The disruption budget lag is still being processed by the server."},
		{name: "pending pod ignores the budget", pod: "pending"},
		{name: "missing pod", pod: "nope", wantCode: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := evict(tc.pod)
			if tc.wantCode == 0 {
				if err != nil {
					t.Fatalf("evict: %v", err)
				}
				return
			}
			st, ok := err.(apierrors.APIStatus)
			if !ok || st.Status().Code != tc.wantCode {
				t.Fatalf("evict: %v, want code %d", err, tc.wantCode)
			}
			if tc.wantCause != "" {
				found := false
				if d := st.Status().Details; d != nil {
					for _, c := range d.Causes {
						found = found || (c.Type == policyv1.DisruptionBudgetCause && c.Message == tc.wantCause)
					}
				}
				if !found || !strings.Contains(err.Error(), "Cannot evict pod as it would violate the pod's disruption budget.") {
					t.Errorf("status = %+v, want cause %q", st.Status(), tc.wantCause)
				}
			}
		})
	}

	t.Run("two budgets", func(t *testing.T) {
		// Upstream answers 201 with a Failure Status whose code is 500, which client-go
		// does not turn into an error; read the body as kubectl would.
		body := `{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"twice","namespace":"default"}}`
		resp, err := in.HTTPClient(t).Post(in.URL+"/api/v1/namespaces/default/pods/twice/eviction", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var st metav1.Status
		if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 201 || st.Code != 500 || st.Status != metav1.StatusFailure ||
			st.Message != "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support." {
			t.Errorf("HTTP %d, status %+v", resp.StatusCode, st)
		}
		if p, err := cs.CoreV1().Pods(ns).Get(ctx, "twice", metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
			t.Errorf("pod with two budgets: %v, deletionTimestamp %v", err, p.DeletionTimestamp)
		}
	})
	t.Run("an evicted pod is marked and going; its budget counts it", func(t *testing.T) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "free", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		marked := false
		for _, c := range p.Status.Conditions {
			marked = marked || (c.Type == corev1.DisruptionTarget && c.Reason == "EvictionByEvictionAPI")
		}
		if p.DeletionTimestamp == nil || !marked {
			t.Errorf("pod deletionTimestamp %v, conditions %+v", p.DeletionTimestamp, p.Status.Conditions)
		}
		pdb, err := cs.PolicyV1().PodDisruptionBudgets(ns).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := pdb.Status.DisruptedPods["free"]; !ok || pdb.Status.DisruptionsAllowed != 0 {
			t.Errorf("pdb status = %+v, want free disrupted and no disruptions left", pdb.Status)
		}
	})
	t.Run("a refused eviction changes nothing", func(t *testing.T) {
		p, err := cs.CoreV1().Pods(ns).Get(ctx, "guarded", metav1.GetOptions{})
		if err != nil || p.DeletionTimestamp != nil {
			t.Errorf("guarded pod: %v, deletionTimestamp %v", err, p.DeletionTimestamp)
		}
	})
}
