package e2e

import (
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func privilegedPod(name string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox",
			SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}},
	}
}

// TestPrivilegedDisallowedByDefault: without --allow-privileged, as upstream's
// default, pods and pod templates asking for a privileged container are invalid.
func TestPrivilegedDisallowedByDefault(t *testing.T) {
	cs := shared.clientset(t)
	c := ctx(t, 30*time.Second)
	ns := testNamespace(t, "priv")

	_, err := cs.CoreV1().Pods(ns).Create(c, privilegedPod("p"), metav1.CreateOptions{})
	wantDisallowed(t, err, "spec.containers[0].securityContext.privileged")

	pod := privilegedPod("p")
	pod.Spec.InitContainers = pod.Spec.Containers
	pod.Spec.InitContainers[0].Name = "init"
	pod.Spec.Containers = []corev1.Container{{Name: "c", Image: "busybox"}}
	_, err = cs.CoreV1().Pods(ns).Create(c, pod, metav1.CreateOptions{})
	wantDisallowed(t, err, "spec.initContainers[0].securityContext.privileged")

	labels := map[string]string{"app": "priv"}
	_, err = cs.AppsV1().Deployments(ns).Create(c, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "d"},
		Spec: appsv1.DeploymentSpec{Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels}, Spec: privilegedPod("").Spec}},
	}, metav1.CreateOptions{})
	wantDisallowed(t, err, "spec.template.spec.containers[0].securityContext.privileged")

	// Not privileged is fine, and so is privileged: false.
	pod = privilegedPod("unprivileged")
	pod.Spec.Containers[0].SecurityContext.Privileged = ptr.To(false)
	created, err := cs.CoreV1().Pods(ns).Create(c, pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A privileged ephemeral container is refused as well.
	created.Spec.EphemeralContainers = []corev1.EphemeralContainer{{EphemeralContainerCommon: corev1.EphemeralContainerCommon{
		Name: "debug", Image: "busybox", TerminationMessagePolicy: corev1.TerminationMessageReadFile, ImagePullPolicy: corev1.PullIfNotPresent,
		SecurityContext: &corev1.SecurityContext{Privileged: ptr.To(true)}}}}
	_, err = cs.CoreV1().Pods(ns).UpdateEphemeralContainers(c, created.Name, created, metav1.UpdateOptions{})
	wantDisallowed(t, err, "spec.ephemeralContainers[0].securityContext.privileged")
}

func wantDisallowed(t *testing.T, err error, path string) {
	t.Helper()
	if !apierrors.IsInvalid(err) {
		t.Fatalf("got %v, want 422 Invalid", err)
	}
	st := err.(apierrors.APIStatus).Status()
	for _, c := range st.Details.Causes {
		if c.Field == path && string(c.Type) == "FieldValueForbidden" && c.Message == "Forbidden: disallowed by cluster policy" {
			return
		}
	}
	t.Errorf("no cause %s Forbidden: disallowed by cluster policy in %+v", path, st.Details.Causes)
}

// TestClusterFlags starts kapi with the flags a hand-built cluster's
// kube-apiserver unit passes (Kubernetes The Hard Way, kubeadm): it serves, and
// privileged pods are allowed and the default tolerations take the given seconds.
func TestClusterFlags(t *testing.T) {
	s := startKapiWithArgs(t, t.TempDir(), "--allow-privileged=true", "--runtime-config=api/all=true",
		"--feature-gates=SomeGate=true", "--apiserver-count=1", "--event-ttl=1h", "--v=2",
		"--default-not-ready-toleration-seconds=60", "--default-unreachable-toleration-seconds=0")
	cs := s.clientset(t)
	c := ctx(t, 30*time.Second)
	pod, err := cs.CoreV1().Pods("default").Create(c, privilegedPod("p"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("privileged pod with --allow-privileged=true: %v", err)
	}
	// DefaultTolerationSeconds takes the flags' seconds.
	seconds := map[string]int64{}
	for _, tol := range pod.Spec.Tolerations {
		if tol.TolerationSeconds != nil {
			seconds[tol.Key] = *tol.TolerationSeconds
		}
	}
	if seconds[corev1.TaintNodeNotReady] != 60 || seconds[corev1.TaintNodeUnreachable] != 0 || len(seconds) != 2 {
		t.Errorf("default tolerations %v, want not-ready 60 and unreachable 0", seconds)
	}
	for _, want := range []string{"--feature-gates", "SomeGate=true", "--runtime-config"} {
		if !strings.Contains(s.logTail(200), want) {
			t.Errorf("log lacks %q:\n%s", want, s.logTail(30))
		}
	}
}
