package e2e

import (
	"bufio"
	"context"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// buildLoadCommand builds ./cmd/kapi-load into a temporary directory of t.
func buildLoadCommand(t *testing.T) string {
	t.Helper()
	gomod, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(strings.TrimSpace(string(gomod)))
	out := filepath.Join(t.TempDir(), "kapi-load")
	cmd := exec.Command("go", "build", "-o", out, "./cmd/kapi-load")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building kapi-load: %v\n%s", err, b)
	}
	return out
}

// runLoad runs kapi-load with args and returns its figures by name.
func runLoad(t *testing.T, binary string, args ...string) map[string]float64 {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(c, binary, args...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	if err != nil {
		t.Fatalf("kapi-load %v: %v\nstdout:\n%s\nstderr:\n%s", args, err, stdout, stderr.String())
	}
	figures := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(string(stdout)))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Errorf("line %q is not \"name value unit\"", sc.Text())
			continue
		}
		v, err := strconv.ParseFloat(fields[1], 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("line %q: value is not a finite number", sc.Text())
			continue
		}
		if _, dup := figures[fields[0]]; dup {
			t.Errorf("figure %s printed twice", fields[0])
		}
		figures[fields[0]] = v
	}
	return figures
}

// TestLoadCommandStartsKapi runs the whole load at 1% scale against a kapi the
// command starts itself, so that the instrument of issue 9 cannot rot.
func TestLoadCommandStartsKapi(t *testing.T) {
	load := buildLoadCommand(t)
	figures := runLoad(t, load, "--start-kapi", kapiBinary, "--scale", "0.01", "--settle", "500ms")
	positive := []string{
		"start_to_ready_seconds", "idle_rss_mib", "idle_rss_anon_mib",
		"create_configmaps_per_sec", "get_configmap_p50_ms",
		"create_pods_per_sec", "rss_after_pods_mib", "rss_after_pods_anon_mib",
		"list_pods_json_p50_ms", "list_pods_protobuf_p50_ms", "list_pods_label_selector_p50_ms",
		"list_pods_json_transfer_p50_ms", "list_pods_protobuf_transfer_p50_ms",
		"list_pods_items", "list_pods_label_selector_items",
		"rss_after_watchers_mib", "rss_after_watchers_anon_mib", "watch_delivery_p50_ms", "watch_delivery_p99_ms",
		"watch_deliveries_received", "watch_deliveries_expected",
		"crds_established_seconds",
	}
	for _, name := range positive {
		t.Run(name, func(t *testing.T) {
			v, ok := figures[name]
			if !ok {
				t.Fatalf("no %s line", name)
			}
			if v <= 0 {
				t.Errorf("%s = %v, want > 0", name, v)
			}
		})
	}
	// Memory may shrink between two samples (at this scale, and as kapi trims its
	// executable's pages when idle), and CPU time counts in 10 ms ticks that a
	// phase this small may not reach; the lines must be there.
	present := []string{"rss_growth_per_crd_kib", "rss_anon_growth_per_crd_kib",
		"create_configmaps_server_cpu_us", "create_configmaps_client_cpu_us",
		"create_pods_server_cpu_us", "create_pods_client_cpu_us",
		"watch_delivery_server_cpu_us", "watch_delivery_client_cpu_us"}
	for _, name := range present {
		if v, ok := figures[name]; !ok || v < 0 {
			t.Errorf("%s = %v (printed: %v), want a line, not negative", name, v, ok)
		}
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"every watch delivery arrived", figures["watch_deliveries_received"], figures["watch_deliveries_expected"]},
		{"10 watchers times 1 create", figures["watch_deliveries_expected"], 10},
		{"1% of 10,000 Pods listed", figures["list_pods_items"], 100},
		{"one node's Pods selected", figures["list_pods_label_selector_items"], 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, c.got, c.want)
		}
	}
	if p50, p99 := figures["watch_delivery_p50_ms"], figures["watch_delivery_p99_ms"]; p99 < p50 {
		t.Errorf("watch delivery p99 %v < p50 %v", p99, p50)
	}
	if len(figures) != len(positive)+len(present) {
		t.Errorf("%d figures, want %d: %v", len(figures), len(positive)+len(present), figures)
	}
}

// TestLoadCommandAgainstKubeconfig points the command at the shared server through
// its kubeconfig and checks that it deletes the namespaces it created.
func TestLoadCommandAgainstKubeconfig(t *testing.T) {
	load := buildLoadCommand(t)
	figures := runLoad(t, load, "--kubeconfig", shared.kubeconfig, "--scale", "0.01", "--only", "configmaps,watch")
	for _, name := range []string{"create_configmaps_per_sec", "get_configmap_p50_ms", "watch_delivery_p50_ms"} {
		if figures[name] <= 0 {
			t.Errorf("%s = %v, want > 0", name, figures[name])
		}
	}
	for _, name := range []string{"start_to_ready_seconds", "idle_rss_mib", "create_pods_per_sec", "create_configmaps_server_cpu_us"} {
		if _, ok := figures[name]; ok {
			t.Errorf("%s printed without --start-kapi, --pid or the pods phase", name)
		}
	}
	if _, ok := figures["create_configmaps_client_cpu_us"]; !ok {
		t.Error("no create_configmaps_client_cpu_us line")
	}
	cs := shared.clientset(t)
	list, err := cs.CoreV1().Namespaces().List(ctx(t, 30*time.Second), metav1.ListOptions{LabelSelector: "kapi-load.kapi.dev/run"})
	if err != nil {
		t.Fatal(err)
	}
	// The namespace controller may already have removed them; any still there must
	// be terminating.
	for _, ns := range list.Items {
		if ns.DeletionTimestamp == nil {
			t.Errorf("namespace %s was left behind", ns.Name)
		}
	}
}
