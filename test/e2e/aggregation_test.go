package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// sampleAPIServerModule is the upstream sample extension server, built into a
// helper binary of its own (never into kapi).
const sampleAPIServerModule = "k8s.io/sample-apiserver@v0.37.2"

// buildSampleAPIServer returns the sample apiserver binary: $KAPI_SAMPLE_APISERVER,
// or one built from the module cache. The test is skipped when the module cannot
// be had (no network, no cache).
func buildSampleAPIServer(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("KAPI_SAMPLE_APISERVER"); bin != "" {
		return bin
	}
	c, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(c, "go", "mod", "download", "-json", sampleAPIServerModule).Output()
	if err != nil {
		t.Skipf("%s is not available: %v", sampleAPIServerModule, err)
	}
	dir := ""
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), `"Dir": `); ok {
			dir = strings.Trim(strings.TrimSuffix(v, ","), `"`)
		}
	}
	if dir == "" {
		t.Skipf("go mod download gave no directory for %s", sampleAPIServerModule)
	}
	bin := filepath.Join(t.TempDir(), "sample-apiserver")
	build := exec.CommandContext(c, "go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod -buildvcs=false")
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("building %s: %v\n%s", sampleAPIServerModule, err, out)
	}
	return bin
}

// startSampleAPIServer runs the sample apiserver against its own etcd, delegating
// authentication and authorization to kapi, on a free loopback port.
func startSampleAPIServer(t *testing.T, bin string, kubeconfig string) int {
	t.Helper()
	etcd := etcdtest.Start(t)
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	cmd := exec.Command(bin,
		"--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1",
		"--cert-dir", t.TempDir(),
		"--etcd-servers", strings.Join(etcd.Endpoints(), ","),
		"--kubeconfig", kubeconfig, "--authentication-kubeconfig", kubeconfig, "--authorization-kubeconfig", kubeconfig,
		"--enable-priority-and-fairness=false")
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("sample-apiserver log tail:\n%s", log.tail(40))
		}
	})
	return port
}

// TestAggregationSampleAPIServer runs the upstream sample extension server behind
// the real kapi and drives its flunders through kubectl.
func TestAggregationSampleAPIServer(t *testing.T) {
	kubectl := newKubectl(t, shared)
	bin := buildSampleAPIServer(t)
	port := startSampleAPIServer(t, bin, shared.kubeconfig)
	cs := shared.clientset(t)
	ns := testNamespace(t, "wardle")
	c := ctx(t, 2*time.Minute)

	// An ExternalName Service reaches the loopback server: loopback addresses are
	// not valid endpoints.
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: ns},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "127.0.0.1",
			Ports: []corev1.ServicePort{{Name: "https", Port: int32(port)}}},
	}
	if _, err := cs.CoreV1().Services(ns).Create(c, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	apiService := fmt.Sprintf(`apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata:
  name: v1alpha1.wardle.example.com
spec:
  group: wardle.example.com
  version: v1alpha1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 1000
  versionPriority: 15
  service:
    name: api
    namespace: %s
    port: %d
`, ns, port)
	if r := kubectl.run(t, apiService, "apply", "-f", "-"); r.err != nil {
		t.Fatalf("kubectl apply APIService: %v\n%s", r.err, r.stderr)
	}
	t.Cleanup(func() { kubectl.run(t, "", "delete", "apiservice", "v1alpha1.wardle.example.com", "--wait=false") })

	eventually(t, 90*time.Second, "APIService v1alpha1.wardle.example.com Available", func() error {
		out := kubectl.run(t, "", "get", "apiservice", "v1alpha1.wardle.example.com",
			"-o", `jsonpath={.status.conditions[?(@.type=="Available")].status}/{.status.conditions[?(@.type=="Available")].reason}/{.status.conditions[?(@.type=="Available")].message}`)
		if out.err != nil {
			return fmt.Errorf("%v: %s", out.err, out.stderr)
		}
		if !strings.HasPrefix(out.stdout, string(apiregistrationv1.ConditionTrue)+"/Passed") {
			return errors.New(out.stdout)
		}
		return nil
	})

	flunder := fmt.Sprintf(`apiVersion: wardle.example.com/v1alpha1
kind: Flunder
metadata:
  name: my-first-flunder
  namespace: %s
  labels:
    sample-label: "true"
`, ns)
	eventually(t, 60*time.Second, "kubectl create flunder", func() error {
		r := kubectl.run(t, flunder, "create", "-f", "-")
		if r.err != nil && !strings.Contains(r.stderr, "AlreadyExists") {
			return fmt.Errorf("%v: %s", r.err, r.stderr)
		}
		return nil
	})
	cases := []struct {
		name string
		args []string
		want string
	}{
		{name: "get flunders", args: []string{"get", "flunders", "-n", ns}, want: "my-first-flunder"},
		{name: "get by name as yaml", args: []string{"get", "flunder", "my-first-flunder", "-n", ns, "-o", "yaml"}, want: "sample-label"},
		{name: "api-resources lists flunders", args: []string{"api-resources", "--api-group", "wardle.example.com"}, want: "flunders"},
		{name: "api-versions lists the group", args: []string{"api-versions"}, want: "wardle.example.com/v1alpha1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			eventually(t, 30*time.Second, strings.Join(tc.args, " "), func() error {
				r := kubectl.run(t, "", tc.args...)
				if r.err != nil {
					return fmt.Errorf("%v: %s", r.err, r.stderr)
				}
				if !strings.Contains(r.stdout, tc.want) {
					return fmt.Errorf("output lacks %q:\n%s", tc.want, r.stdout)
				}
				return nil
			})
		})
	}
	t.Run("delete flunder", func(t *testing.T) {
		kubectl.ok(t, "delete", "flunder", "my-first-flunder", "-n", ns)
		r := kubectl.run(t, "", "get", "flunder", "my-first-flunder", "-n", ns)
		if r.err == nil || !strings.Contains(r.stderr, "NotFound") {
			t.Errorf("get after delete: %v %s %s", r.err, r.stdout, r.stderr)
		}
	})
}
