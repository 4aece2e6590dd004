package servertest

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

func TestStartServesSystemNamespaces(t *testing.T) {
	in := Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	for _, name := range []string{"default", "kube-system", "kube-public", "kube-node-lease"} {
		t.Run(name, func(t *testing.T) {
			ns, err := cs.CoreV1().Namespaces().Get(context.Background(), name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if ns.Status.Phase != "Active" {
				t.Errorf("phase = %q, want Active", ns.Status.Phase)
			}
		})
	}
}
