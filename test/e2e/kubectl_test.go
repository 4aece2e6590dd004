package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

const kubectlManifests = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  replicas: 1
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
      - name: sidecar
        image: busybox:1.36
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  labels:
    app: web
data:
  mode: fast
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector:
    app: web
  ports:
  - port: 80
    targetPort: 8080
---
apiVersion: v1
kind: Pod
metadata:
  name: web-pod
  labels:
    app: web
spec:
  containers:
  - name: nginx
    image: nginx:1.25
`

// writeFile writes content into a new file in a test temp dir.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKubectl drives the shared server with kubectl v1.32. The subtests share one
// namespace and build on each other in order.
func TestKubectl(t *testing.T) {
	k := newKubectl(t, shared)
	ns := testNamespace(t, "e2e-kubectl")
	cs := shared.clientset(t)
	c := ctx(t, 2*time.Minute)

	// kubectl create/apply/edit/replace validate against /openapi/v3 (or v2). Without
	// it they fail; report that once and carry on with --validate=false so the
	// rest of the suite still says something.
	validate := func(args ...string) []string { return args }
	if r := k.run(t, "", "get", "--raw", "/openapi/v3"); r.err != nil {
		t.Errorf("GET /openapi/v3 failed (%v: %s): kubectl create/apply/edit/replace fail client-side validation; running them with --validate=false",
			r.err, strings.TrimSpace(r.stderr))
		validate = func(args ...string) []string { return append(args, "--validate=false") }
	}

	t.Run("create -f", func(t *testing.T) {
		out := k.ok(t, validate("create", "-n", ns, "-f", writeFile(t, "all.yaml", kubectlManifests))...)
		for _, want := range []string{"deployment.apps/web created", "configmap/settings created", "service/web created", "pod/web-pod created"} {
			if !strings.Contains(out, want) {
				t.Errorf("output lacks %q:\n%s", want, out)
			}
		}
		if _, err := cs.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{}); err != nil {
			t.Errorf("deployment not stored: %v", err)
		}
		svc, err := cs.CoreV1().Services(ns).Get(c, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("service not stored: %v", err)
		}
		if svc.Spec.ClusterIP == "" || svc.Spec.Type != corev1.ServiceTypeClusterIP {
			t.Errorf("service clusterIP=%q type=%q, want an allocated IP and type ClusterIP", svc.Spec.ClusterIP, svc.Spec.Type)
		}
	})

	t.Run("apply twice", func(t *testing.T) {
		manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  a: \"%s\"\n"
		out := k.ok(t, validate("apply", "-n", ns, "-f", writeFile(t, "cm1.yaml", fmt.Sprintf(manifest, "1")))...)
		if !strings.Contains(out, "configmap/applied created") {
			t.Errorf("first apply output = %q, want created", out)
		}
		out = k.ok(t, validate("apply", "-n", ns, "-f", writeFile(t, "cm2.yaml", fmt.Sprintf(manifest, "2")))...)
		if !strings.Contains(out, "configmap/applied configured") {
			t.Errorf("second apply output = %q, want configured", out)
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "applied", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Data["a"] != "2" {
			t.Errorf("data.a = %q, want 2", cm.Data["a"])
		}
		if !strings.Contains(cm.Annotations["kubectl.kubernetes.io/last-applied-configuration"], `"a":"2"`) {
			t.Errorf("last-applied-configuration = %q, want it to hold a=2", cm.Annotations["kubectl.kubernetes.io/last-applied-configuration"])
		}
	})

	t.Run("get output formats", func(t *testing.T) {
		tests := []struct {
			name  string
			args  []string
			check func(out string) error
		}{
			{"yaml", []string{"get", "cm", "applied", "-o", "yaml"}, func(out string) error {
				var cm corev1.ConfigMap
				if err := yaml.Unmarshal([]byte(out), &cm); err != nil {
					return err
				}
				if cm.Kind != "ConfigMap" || cm.APIVersion != "v1" || cm.Data["a"] != "2" {
					return fmt.Errorf("got %s %s data=%v", cm.APIVersion, cm.Kind, cm.Data)
				}
				return nil
			}},
			{"json list", []string{"get", "cm", "-o", "json"}, func(out string) error {
				var l corev1.ConfigMapList
				if err := json.Unmarshal([]byte(out), &l); err != nil {
					return err
				}
				if len(l.Items) < 2 {
					return fmt.Errorf("got %d items, want >= 2", len(l.Items))
				}
				return nil
			}},
			{"jsonpath", []string{"get", "cm", "applied", "-o", "jsonpath={.data.a}"}, func(out string) error {
				if out != "2" {
					return fmt.Errorf("got %q, want 2", out)
				}
				return nil
			}},
			{"wide", []string{"get", "pods", "-o", "wide"}, func(out string) error {
				for _, col := range []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED NODE", "READINESS GATES"} {
					if !strings.Contains(firstLine(out), col) {
						return fmt.Errorf("header %q lacks %q", firstLine(out), col)
					}
				}
				if !strings.Contains(out, "web-pod") || !strings.Contains(out, "Pending") {
					return fmt.Errorf("want a web-pod row in Pending:\n%s", out)
				}
				return nil
			}},
			{"default table deployments", []string{"get", "deployments"}, func(out string) error {
				if h := strings.Fields(firstLine(out)); strings.Join(h, " ") != "NAME READY UP-TO-DATE AVAILABLE AGE" {
					return fmt.Errorf("header %q", firstLine(out))
				}
				return nil
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := k.ok(t, append([]string{"-n", ns}, tc.args...)...)
				if err := tc.check(out); err != nil {
					t.Error(err)
				}
			})
		}
	})

	t.Run("selectors", func(t *testing.T) {
		tests := []struct {
			name string
			args []string
			want []string
		}{
			{"label", []string{"get", "cm", "-l", "app=web", "-o", "name"}, []string{"configmap/settings"}},
			{"label set-based", []string{"get", "all", "-l", "app in (web)", "-o", "name"}, []string{"pod/web-pod", "deployment.apps/web"}},
			{"field status.phase", []string{"get", "pods", "--field-selector", "status.phase=Pending", "-o", "name"}, []string{"pod/web-pod"}},
			{"field metadata.name", []string{"get", "cm", "--field-selector", "metadata.name=applied", "-o", "name"}, []string{"configmap/applied"}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				out := k.ok(t, append([]string{"-n", ns}, tc.args...)...)
				got := strings.Fields(out)
				for _, w := range tc.want {
					if !contains(got, w) {
						t.Errorf("got %v, want it to contain %s", got, w)
					}
				}
				if tc.name != "label set-based" && len(got) != len(tc.want) {
					t.Errorf("got %v, want exactly %v", got, tc.want)
				}
			})
		}
		r := k.run(t, "", "-n", ns, "get", "pods", "--field-selector", "spec.unknown=x")
		if r.err == nil || !strings.Contains(r.stderr, "field label not supported") {
			t.Errorf("unsupported field selector: err=%v stderr=%q, want a BadRequest mentioning \"field label not supported\"", r.err, r.stderr)
		}
	})

	t.Run("get --chunk-size", func(t *testing.T) {
		for i := 0; i < 7; i++ {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("chunk-%d", i), Labels: map[string]string{"chunk": "yes"}}}
			if _, err := cs.CoreV1().ConfigMaps(ns).Create(c, cm, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		r := k.run(t, "", "-n", ns, "get", "cm", "-l", "chunk=yes", "--chunk-size=2", "-o", "name", "-v=6")
		if r.err != nil {
			t.Fatalf("kubectl: %v\n%s", r.err, r.stderr)
		}
		got := strings.Fields(r.stdout)
		if len(got) != 7 {
			t.Errorf("got %d names %v, want 7", len(got), got)
		}
		if n := strings.Count(r.stderr, "continue="); n < 3 {
			t.Errorf("kubectl sent %d requests with continue=, want >= 3 (7 objects in chunks of 2):\n%s", n, r.stderr)
		}
	})

	t.Run("get -w", func(t *testing.T) {
		wc, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := k.command(wc, "-n", ns, "get", "cm", "-w", "--field-selector", "metadata.name=watched", "-v=6")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		stderr := &syncBuffer{}
		cmd.Stderr = stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		lines := readLines(stdout)
		// -v=6 logs each response; wait until the watch request has been answered.
		eventually(t, 15*time.Second, "kubectl get -w opened its watch", func() error {
			for _, l := range strings.Split(stderr.String(), "\n") {
				if strings.Contains(l, "watch=true") && strings.Contains(l, "200 OK") {
					return nil
				}
			}
			return fmt.Errorf("stderr so far:\n%s", stderr.String())
		})
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "watched"},
			Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 15*time.Second, "the new row appears in kubectl get -w", func() error {
			_, err := lines.find("watched")
			return err
		})
		row, _ := lines.find("watched")
		if f := strings.Fields(row); len(f) < 3 || f[1] != "1" {
			t.Errorf("row %q, want NAME DATA AGE with DATA=1", row)
		}
	})

	t.Run("label and annotate", func(t *testing.T) {
		k.ok(t, "-n", ns, "label", "cm", "applied", "env=prod")
		k.ok(t, "-n", ns, "annotate", "cm", "applied", "owner=team-a")
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "applied", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Labels["env"] != "prod" || cm.Annotations["owner"] != "team-a" {
			t.Errorf("labels=%v annotations=%v, want env=prod and owner=team-a", cm.Labels, cm.Annotations)
		}
		k.ok(t, "-n", ns, "label", "cm", "applied", "env-")
		cm, err = cs.CoreV1().ConfigMaps(ns).Get(c, "applied", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := cm.Labels["env"]; ok {
			t.Errorf("label env not removed: %v", cm.Labels)
		}
		r := k.run(t, "", "-n", ns, "label", "cm", "applied", "owner=x", "--resource-version=1")
		if r.err == nil || !strings.Contains(r.stderr, "the object has been modified") {
			t.Errorf("label with a stale --resource-version: err=%v stderr=%q, want a Conflict", r.err, r.stderr)
		}
	})

	t.Run("patch", func(t *testing.T) {
		tests := []struct {
			name  string
			args  []string
			check func() error
		}{
			{"json", []string{"patch", "cm", "applied", "--type=json", "-p", `[{"op":"add","path":"/data/b","value":"x"}]`}, func() error {
				cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "applied", metav1.GetOptions{})
				if err != nil || cm.Data["b"] != "x" {
					return fmt.Errorf("data=%v err=%v, want b=x", cm.Data, err)
				}
				return nil
			}},
			{"merge", []string{"patch", "cm", "applied", "--type=merge", "-p", `{"data":{"b":null,"c":"y"}}`}, func() error {
				cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "applied", metav1.GetOptions{})
				if err != nil {
					return err
				}
				if _, has := cm.Data["b"]; has || cm.Data["c"] != "y" || cm.Data["a"] != "2" {
					return fmt.Errorf("data=%v, want a=2 c=y and no b", cm.Data)
				}
				return nil
			}},
			{"strategic", []string{"patch", "deployment", "web", "--type=strategic", "-p",
				`{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}`}, func() error {
				d, err := cs.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{})
				if err != nil {
					return err
				}
				cs := d.Spec.Template.Spec.Containers
				if len(cs) != 2 || cs[0].Name != "nginx" || cs[0].Image != "nginx:1.27" || cs[1].Image != "busybox:1.36" {
					return fmt.Errorf("containers=%+v, want nginx:1.27 merged by name and the sidecar kept", cs)
				}
				return nil
			}},
			{"strategic is default", []string{"patch", "pod", "web-pod", "-p", `{"metadata":{"labels":{"tier":"front"}}}`}, func() error {
				p, err := cs.CoreV1().Pods(ns).Get(c, "web-pod", metav1.GetOptions{})
				if err != nil || p.Labels["tier"] != "front" || p.Labels["app"] != "web" {
					return fmt.Errorf("labels=%v err=%v", p.Labels, err)
				}
				return nil
			}},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				k.ok(t, append([]string{"-n", ns}, tc.args...)...)
				if err := tc.check(); err != nil {
					t.Error(err)
				}
			})
		}
	})

	t.Run("scale deployment", func(t *testing.T) {
		before, err := cs.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		out := k.ok(t, "-n", ns, "scale", "deployment", "web", "--replicas=3")
		if !strings.Contains(out, "deployment.apps/web scaled") {
			t.Errorf("output %q", out)
		}
		after, err := cs.AppsV1().Deployments(ns).Get(c, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if after.Spec.Replicas == nil || *after.Spec.Replicas != 3 {
			t.Errorf("spec.replicas = %v, want 3", after.Spec.Replicas)
		}
		if after.Generation != before.Generation+1 {
			t.Errorf("generation %d -> %d, want +1", before.Generation, after.Generation)
		}
		r := k.run(t, "", "-n", ns, "scale", "deployment", "web", "--replicas=4", "--current-replicas=1")
		if r.err == nil || !strings.Contains(r.stderr, "Expected replicas to be 1, was 3") {
			t.Errorf("scale with wrong --current-replicas: err=%v stderr=%q", r.err, r.stderr)
		}
	})

	t.Run("edit via KUBE_EDITOR", func(t *testing.T) {
		if _, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name: "editme", Labels: map[string]string{"stage": "before"}}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		editor := writeFile(t, "editor.sh", "#!/bin/sh\nsed -i 's/stage: before/stage: after/' \"$1\"\n")
		if err := os.Chmod(editor, 0o700); err != nil {
			t.Fatal(err)
		}
		k.env = append(k.env, "KUBE_EDITOR="+editor)
		defer func() { k.env = k.env[:len(k.env)-1] }()
		out := k.ok(t, validate("-n", ns, "edit", "cm", "editme")...)
		if !strings.Contains(out, "configmap/editme edited") {
			t.Errorf("output %q, want edited", out)
		}
		cm, err := cs.CoreV1().ConfigMaps(ns).Get(c, "editme", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if cm.Labels["stage"] != "after" {
			t.Errorf("labels = %v, want stage=after", cm.Labels)
		}
	})

	t.Run("replace with stale resourceVersion", func(t *testing.T) {
		stale := k.ok(t, "-n", ns, "get", "cm", "applied", "-o", "json")
		k.ok(t, "-n", ns, "annotate", "cm", "applied", "bump=1")
		r := k.run(t, "", validate("-n", ns, "replace", "-f", writeFile(t, "stale.json", stale))...)
		if r.err == nil || !strings.Contains(r.stderr, "the object has been modified") {
			t.Errorf("replace: err=%v stderr=%q, want a conflict \"the object has been modified\"", r.err, r.stderr)
		}
		// Without a resourceVersion, replace is unconditional and succeeds.
		var obj map[string]any
		if err := json.Unmarshal([]byte(stale), &obj); err != nil {
			t.Fatal(err)
		}
		delete(obj["metadata"].(map[string]any), "resourceVersion")
		b, _ := json.Marshal(obj)
		k.ok(t, validate("-n", ns, "replace", "-f", writeFile(t, "fresh.json", string(b)))...)
	})

	t.Run("delete", func(t *testing.T) {
		out := k.ok(t, "-n", ns, "delete", "cm", "applied")
		if !strings.Contains(out, `configmap "applied" deleted`) {
			t.Errorf("output %q", out)
		}
		r := k.run(t, "", "-n", ns, "get", "cm", "applied")
		if r.err == nil || !strings.Contains(r.stderr, `configmaps "applied" not found`) {
			t.Errorf("get after delete: err=%v stderr=%q, want NotFound", r.err, r.stderr)
		}
		out = k.ok(t, "-n", ns, "delete", "cm", "-l", "chunk=yes")
		if n := strings.Count(out, "deleted"); n != 7 {
			t.Errorf("delete -l removed %d, want 7:\n%s", n, out)
		}
	})

	t.Run("api-resources", func(t *testing.T) {
		out := k.ok(t, "api-resources")
		rows := parseTable(out)
		tests := []struct {
			name, apiVersion, short, namespaced, kind string
		}{
			{"pods", "v1", "po", "true", "Pod"},
			{"deployments", "apps/v1", "deploy", "true", "Deployment"},
			{"leases", "coordination.k8s.io/v1", "", "true", "Lease"},
			{"events", "events.k8s.io/v1", "ev", "true", "Event"},
			{"namespaces", "v1", "ns", "false", "Namespace"},
		}
		for _, tc := range tests {
			t.Run(tc.name+"."+tc.apiVersion, func(t *testing.T) {
				for _, r := range rows {
					if r["NAME"] == tc.name && r["APIVERSION"] == tc.apiVersion {
						if r["SHORTNAMES"] != tc.short || r["NAMESPACED"] != tc.namespaced || r["KIND"] != tc.kind {
							t.Errorf("row %v, want SHORTNAMES=%q NAMESPACED=%s KIND=%s", r, tc.short, tc.namespaced, tc.kind)
						}
						return
					}
				}
				t.Errorf("no row for %s %s in:\n%s", tc.name, tc.apiVersion, out)
			})
		}
	})

	t.Run("api-versions", func(t *testing.T) {
		got := strings.Fields(k.ok(t, "api-versions"))
		for _, w := range []string{"v1", "apps/v1", "coordination.k8s.io/v1", "events.k8s.io/v1"} {
			if !contains(got, w) {
				t.Errorf("api-versions %v lacks %s", got, w)
			}
		}
	})

	t.Run("explain", func(t *testing.T) {
		r := k.run(t, "", "explain", "pods.spec.containers")
		if r.err != nil {
			t.Fatalf("kubectl explain pods.spec.containers (needs /openapi/v3): %v\n%s", r.err, r.stderr)
		}
		for _, w := range []string{"KIND:       Pod", "FIELD: containers <[]Container>", "image\t<string>"} {
			if !strings.Contains(r.stdout, w) {
				t.Errorf("explain output lacks %q:\n%s", w, r.stdout)
			}
		}
	})

	t.Run("get --raw", func(t *testing.T) {
		tests := []struct {
			path string
			want []string
		}{
			{"/healthz", []string{"ok"}},
			{"/livez", []string{"ok"}},
			{"/readyz?verbose", []string{"[+]ping ok", "[+]etcd ok", "readyz check passed"}},
			{"/healthz/etcd", []string{"ok"}},
			{"/version", []string{`"gitVersion": "v1.37`, `"major": "1"`}},
			{"/openapi/v2", []string{`"swagger": "2.0"`, `"io.k8s.api.core.v1.Pod"`}},
			{"/openapi/v3", []string{`"paths"`, `"api/v1"`}},
			{"/api/v1/namespaces/default", []string{`"kind":"Namespace"`}},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				r := k.run(t, "", "get", "--raw", tc.path)
				if r.err != nil {
					t.Fatalf("kubectl get --raw %s: %v\n%s", tc.path, r.err, r.stderr)
				}
				compact := r.stdout
				if strings.HasPrefix(tc.path, "/openapi") {
					var v any
					if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
						t.Fatalf("not JSON: %v", err)
					}
					b, _ := json.MarshalIndent(v, "", " ")
					compact = string(b)
				}
				for _, w := range tc.want {
					if !strings.Contains(compact, w) {
						t.Errorf("response lacks %q:\n%.400s", w, r.stdout)
					}
				}
			})
		}
	})
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseTable splits kubectl's column output into rows keyed by header, using the
// header's column start positions (cells may be empty).
func parseTable(out string) []map[string]string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 {
		return nil
	}
	header := lines[0]
	type col struct {
		name  string
		start int
	}
	var cols []col
	for i := 0; i < len(header); {
		if header[i] == ' ' {
			i++
			continue
		}
		j := i
		for j < len(header) && !(header[j] == ' ' && (j+1 >= len(header) || header[j+1] == ' ')) {
			j++
		}
		cols = append(cols, col{strings.TrimSpace(header[i:j]), i})
		i = j
	}
	var rows []map[string]string
	for _, l := range lines[1:] {
		row := map[string]string{}
		for ci, c := range cols {
			end := len(l)
			if ci+1 < len(cols) && cols[ci+1].start < end {
				end = cols[ci+1].start
			}
			if c.start < len(l) {
				row[c.name] = strings.TrimSpace(l[c.start:end])
			}
		}
		rows = append(rows, row)
	}
	return rows
}
