package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/proxy/proxytest"
)

// TestKubectlConnect drives kubectl logs, exec, port-forward and nodes/proxy
// through the real binary to a fake kubelet on loopback TLS.
func TestKubectlConnect(t *testing.T) {
	hostIP := proxytest.NonLoopbackIP()
	kubeletHost := "127.0.0.1"
	if hostIP != nil {
		kubeletHost = hostIP.String()
	}
	kubelet := proxytest.StartKubelet(t, kubeletHost)
	s := startKapiWithArgs(t, t.TempDir(),
		"--kubelet-client-certificate", kubelet.ClientCertFile, "--kubelet-client-key", kubelet.ClientKeyFile,
		"--kubelet-certificate-authority", kubelet.CAFile, "--kubelet-preferred-address-types", "InternalIP,Hostname")
	cs := s.clientset(t)
	c := ctx(t, 2*time.Minute)
	node, err := cs.CoreV1().Nodes().Create(c, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node.Status.Addresses = []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: kubeletHost}}
	node.Status.DaemonEndpoints.KubeletEndpoint.Port = int32(kubelet.Port)
	if _, err := cs.CoreV1().Nodes().UpdateStatus(c, node, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default"}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	pod, err := cs.CoreV1().Pods("default").Create(c, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{{Name: "c1", Image: "busybox"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// kubectl port-forward wants a running pod.
	pod.Status.Phase = corev1.PodRunning
	if _, err := cs.CoreV1().Pods("default").UpdateStatus(c, pod, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	k := newKubectl(t, s)

	t.Run("logs", func(t *testing.T) {
		out := k.ok(t, "logs", "web", "--tail", "2")
		if !strings.Contains(out, "query tailLines=2\n") || !strings.Contains(out, "default/web/c1 line 3\n") {
			t.Errorf("kubectl logs: %q", out)
		}
	})
	t.Run("logs follow", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := k.command(c, "logs", "-f", "web")
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := readLines(stdout)
		eventually(t, 30*time.Second, "followed log reaches line 5", func() error {
			_, err := lines.find("default/web/c1 line 5")
			return err
		})
		cancel()
		_ = cmd.Wait()
	})
	t.Run("exec", func(t *testing.T) {
		if out := k.ok(t, "exec", "web", "--", "ls", "-l"); out != "exec ls -l\n" {
			t.Errorf("kubectl exec: %q", out)
		}
		r := k.run(t, "hi\n", "exec", "-i", "web", "--", "cat")
		if r.err != nil || r.stdout != "exec cat\nhi\n" {
			t.Errorf("kubectl exec -i: %q %v %s", r.stdout, r.err, r.stderr)
		}
	})
	t.Run("port-forward", func(t *testing.T) {
		c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := k.command(c, "port-forward", "pod/web", ":8080")
		var stderr syncBuffer
		cmd.Stderr = &stderr
		defer func() {
			if t.Failed() {
				t.Logf("kubectl port-forward stderr:\n%s", stderr.tail(30))
			}
		}()
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() {
			cancel()
			_ = cmd.Wait()
		}()
		lines := readLines(stdout)
		var line string
		eventually(t, 30*time.Second, "port-forward listens", func() error {
			line, err = lines.find("Forwarding from 127.0.0.1:")
			return err
		})
		m := regexp.MustCompile(`127\.0\.0\.1:(\d+) -> 8080`).FindStringSubmatch(line)
		if m == nil {
			t.Fatalf("port-forward said %q", line)
		}
		conn, err := net.Dial("tcp", "127.0.0.1:"+m[1])
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
		fmt.Fprintf(conn, "ping\n")
		want := "hello from port 8080\nping\n"
		got := make([]byte, len(want))
		if _, err := io.ReadFull(conn, got); err != nil || string(got) != want {
			t.Errorf("forwarded %q (%v), want %q", got, err, want)
		}
	})
	t.Run("node proxy", func(t *testing.T) {
		if hostIP == nil {
			t.Skip("no non-loopback address: upstream refuses to proxy to loopback kubelets")
		}
		out := k.ok(t, "get", "--raw", "/api/v1/nodes/n1/proxy/healthz")
		if !strings.Contains(out, `"Path":"/healthz"`) || strings.Contains(out, "Authorization") {
			t.Errorf("nodes/proxy: %s", out)
		}
	})
}
