package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestKubectlExposeNodePort exposes a Deployment as a NodePort Service with kubectl
// and checks the allocated port is in the default range and shown by `kubectl get`.
func TestKubectlExposeNodePort(t *testing.T) {
	k := newKubectl(t, shared)
	ns := testNamespace(t, "e2e-nodeport")
	cs := shared.clientset(t)
	c := ctx(t, time.Minute)
	k.ok(t, "create", "deployment", "np", "--image=nginx:1.25", "-n", ns)
	out := k.ok(t, "expose", "deployment", "np", "--type=NodePort", "--port=80", "--target-port=8080", "-n", ns)
	if !strings.Contains(out, "service/np exposed") {
		t.Fatalf("expose output %q", out)
	}
	svc, err := cs.CoreV1().Services(ns).Get(c, "np", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	port := svc.Spec.Ports[0].NodePort
	if port < 30000 || port > 32767 {
		t.Fatalf("nodePort %d outside 30000-32767", port)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{name: "get shows the node port", args: []string{"get", "svc", "np", "-n", ns}, want: fmt.Sprintf("80:%d/TCP", port)},
		{name: "jsonpath reads it", args: []string{"get", "svc", "np", "-n", ns, "-o", "jsonpath={.spec.ports[0].nodePort}"}, want: fmt.Sprint(port)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if out := k.ok(t, tc.args...); !strings.Contains(out, tc.want) {
				t.Fatalf("output %q lacks %q", out, tc.want)
			}
		})
	}
}
