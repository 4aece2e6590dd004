package e2e

import (
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
)

const applyDeployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ssa
spec:
  replicas: REPLICAS
  selector: {matchLabels: {app: ssa}}
  template:
    metadata: {labels: {app: ssa}}
    spec:
      containers:
      - {name: c, image: nginx}
`

// TestKubectlServerSideApply drives the write semantics of today's clients with
// kubectl: apply --server-side, conflicts and --force-conflicts, diff, server dry
// run, and deletion cascades.
func TestKubectlServerSideApply(t *testing.T) {
	ns := testNamespace(t, "ssa")
	k := newKubectl(t, shared)
	manifest := func(replicas string) string { return strings.Replace(applyDeployment, "REPLICAS", replicas, 1) }
	apply := func(t *testing.T, replicas string, extra ...string) kubectlResult {
		args := append([]string{"-n", ns, "apply", "--server-side", "-f", "-"}, extra...)
		return k.run(t, manifest(replicas), args...)
	}
	t.Run("apply creates", func(t *testing.T) {
		if r := apply(t, "2"); r.err != nil || !strings.Contains(r.stdout, "serverside-applied") {
			t.Fatalf("apply: %v %s %s", r.err, r.stdout, r.stderr)
		}
		out := k.ok(t, "-n", ns, "get", "deploy", "ssa", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}")
		if out != "kubectl/Apply" {
			t.Errorf("managed fields entry %q, want kubectl/Apply", out)
		}
	})
	t.Run("another manager takes replicas", func(t *testing.T) {
		k.ok(t, "-n", ns, "patch", "deploy", "ssa", "--type=merge", "-p", `{"spec":{"replicas":5}}`, "--field-manager=bob")
	})
	t.Run("conflict without force", func(t *testing.T) {
		r := apply(t, "3")
		if r.err == nil || !strings.Contains(r.stderr, `conflict with "bob"`) || !strings.Contains(r.stderr, ".spec.replicas") {
			t.Fatalf("apply: err=%v stderr=%s, want a conflict with bob on .spec.replicas", r.err, r.stderr)
		}
	})
	t.Run("force takes ownership", func(t *testing.T) {
		if r := apply(t, "3", "--force-conflicts"); r.err != nil {
			t.Fatalf("apply --force-conflicts: %v %s", r.err, r.stderr)
		}
		if got := k.ok(t, "-n", ns, "get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}"); got != "3" {
			t.Errorf("replicas %s, want 3", got)
		}
	})
	t.Run("server dry run changes nothing", func(t *testing.T) {
		out := k.ok(t, "-n", ns, "scale", "deploy", "ssa", "--replicas=9", "--dry-run=server")
		if !strings.Contains(out, "server dry run") {
			t.Errorf("scale --dry-run=server printed %q", out)
		}
		if r := apply(t, "8", "--dry-run=server"); r.err != nil {
			t.Fatalf("apply --dry-run=server: %v %s", r.err, r.stderr)
		}
		if got := k.ok(t, "-n", ns, "get", "deploy", "ssa", "-o", "jsonpath={.spec.replicas}"); got != "3" {
			t.Errorf("replicas %s after dry runs, want 3", got)
		}
	})
	t.Run("diff shows the change", func(t *testing.T) {
		r := k.run(t, manifest("4"), "-n", ns, "diff", "--server-side", "-f", "-")
		// kubectl diff exits 1 when there are differences.
		if !strings.Contains(r.stdout, "-  replicas: 3") || !strings.Contains(r.stdout, "+  replicas: 4") {
			t.Fatalf("diff: err=%v stdout=%s stderr=%s", r.err, r.stdout, r.stderr)
		}
	})
	// The delete cascades are carried out by the built-in garbage collector: the
	// finalizers the server sets are removed and the objects go.
	t.Run("foreground delete completes", func(t *testing.T) {
		k.ok(t, "-n", ns, "delete", "deploy", "ssa", "--cascade=foreground", "--timeout=30s")
		if r := k.run(t, "", "-n", ns, "get", "deploy", "ssa"); r.err == nil || !strings.Contains(r.stderr, "NotFound") {
			t.Fatalf("deployment still there after a foreground delete: %v %s %s", r.err, r.stdout, r.stderr)
		}
	})
	t.Run("orphan delete completes", func(t *testing.T) {
		k.ok(t, "-n", ns, "create", "configmap", "orphaned")
		k.ok(t, "-n", ns, "delete", "configmap", "orphaned", "--cascade=orphan", "--timeout=30s")
		if r := k.run(t, "", "-n", ns, "get", "configmap", "orphaned"); r.err == nil || !strings.Contains(r.stderr, "NotFound") {
			t.Fatalf("configmap still there after an orphan delete: %v %s %s", r.err, r.stdout, r.stderr)
		}
	})
}

// TestTypedApply uses client-go's apply configurations, as controllers do.
func TestTypedApply(t *testing.T) {
	ns := testNamespace(t, "typed-apply")
	cs := shared.clientset(t)
	c := ctx(t, 30*time.Second)
	cm := corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"a": "1"})
	got, err := cs.CoreV1().ConfigMaps(ns).Apply(c, cm, metav1.ApplyOptions{FieldManager: "controller"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Data["a"] != "1" || len(got.ManagedFields) != 1 || got.ManagedFields[0].Manager != "controller" {
		t.Fatalf("applied configmap %+v", got)
	}
	// Removing a field from the applied configuration removes it when nobody else owns it.
	cm = corev1ac.ConfigMap("applied", ns).WithData(map[string]string{"b": "2"})
	got, err = cs.CoreV1().ConfigMaps(ns).Apply(c, cm, metav1.ApplyOptions{FieldManager: "controller"})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.Data["a"]; ok || got.Data["b"] != "2" {
		t.Fatalf("data after second apply %v, want only b", got.Data)
	}
	// Status is applied through the status subresource by its own manager.
	d := appsv1ac.Deployment("typed", ns).WithSpec(appsv1ac.DeploymentSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(map[string]string{"app": "typed"})).
		WithTemplate(corev1ac.PodTemplateSpec().WithLabels(map[string]string{"app": "typed"}).
			WithSpec(corev1ac.PodSpec().WithContainers(corev1ac.Container().WithName("c").WithImage("nginx")))))
	if _, err := cs.AppsV1().Deployments(ns).Apply(c, d, metav1.ApplyOptions{FieldManager: "controller"}); err != nil {
		t.Fatal(err)
	}
	st := appsv1ac.Deployment("typed", ns).WithStatus(appsv1ac.DeploymentStatus().WithReplicas(1))
	got2, err := cs.AppsV1().Deployments(ns).ApplyStatus(c, st, metav1.ApplyOptions{FieldManager: "status-writer", Force: true})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range got2.ManagedFields {
		if e.Manager == "status-writer" && e.Subresource == "status" {
			found = true
		}
	}
	if got2.Status.Replicas != 1 || !found {
		t.Fatalf("status apply: replicas=%d managedFields=%+v", got2.Status.Replicas, got2.ManagedFields)
	}
}

// TestKubectlClientSideToServerSideApply is the path a user takes when switching from
// `kubectl apply` to `kubectl apply --server-side`: kubectl moves the client-side
// manager's fields to its server-side manager, so a field dropped from the manifest
// is removed, and switching back still works.
func TestKubectlClientSideToServerSideApply(t *testing.T) {
	ns := testNamespace(t, "csa")
	k := newKubectl(t, shared)
	manifest := func(data string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: upgrade\ndata:\n" + data
	}
	k.run(t, manifest("  a: \"1\"\n  b: \"2\"\n"), "-n", ns, "apply", "-f", "-")
	if r := k.run(t, manifest("  a: \"1\"\n"), "-n", ns, "apply", "--server-side", "-f", "-"); r.err != nil {
		t.Fatalf("apply --server-side: %v %s", r.err, r.stderr)
	}
	if got := k.ok(t, "-n", ns, "get", "cm", "upgrade", "-o", "jsonpath={.data}"); got != `{"a":"1"}` {
		t.Errorf("data after the server-side apply = %s, want only a", got)
	}
	managers := k.ok(t, "-n", ns, "get", "cm", "upgrade", "--show-managed-fields", "-o", "jsonpath={.metadata.managedFields[*].manager}")
	if strings.Contains(managers, "kubectl-client-side-apply") {
		t.Errorf("managers %q: the client-side manager should have handed its fields over", managers)
	}
	if r := k.run(t, manifest("  a: \"1\"\n  c: \"3\"\n"), "-n", ns, "apply", "-f", "-"); r.err != nil {
		t.Fatalf("back to client-side apply: %v %s", r.err, r.stderr)
	}
	if got := k.ok(t, "-n", ns, "get", "cm", "upgrade", "-o", "jsonpath={.data}"); got != `{"a":"1","c":"3"}` {
		t.Errorf("data after switching back = %s", got)
	}
}
