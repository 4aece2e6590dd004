package node_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestNodeModeOverHTTP drives a kapi started with --authorization-mode=Node,RBAC as
// the kubelet of node-a, through client-go.
func TestNodeModeOverHTTP(t *testing.T) {
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("node-a-token,system:node:node-a,uid-a,\"system:nodes\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AuthorizationModes = []string{"Node", "RBAC"}
		c.TokenAuthFile = tokens
	})
	ctx := context.Background()
	admin := kubernetes.NewForConfigOrDie(in.Config)
	cfg := rest.AnonymousClientConfig(in.Config)
	cfg.BearerToken = "node-a-token"
	kubelet := kubernetes.NewForConfigOrDie(cfg)

	for _, name := range []string{"mounted", "unrelated"} {
		if _, err := admin.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := admin.CoreV1().Pods("default").Create(ctx, withSecretVolume(podOn("default", "web", "node-a"), "s", "mounted"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	eventually(t, func() bool {
		_, err := kubelet.CoreV1().Secrets("default").Get(ctx, "mounted", metav1.GetOptions{})
		return err == nil
	})
	tests := []struct {
		name    string
		call    func() error
		wantErr func(error) bool
		message string
	}{
		{name: "unrelated secret", call: func() error {
			_, err := kubelet.CoreV1().Secrets("default").Get(ctx, "unrelated", metav1.GetOptions{})
			return err
		}, wantErr: apierrors.IsForbidden,
			message: `secrets "unrelated" is forbidden: User "system:node:node-a" cannot get resource "secrets" in API group "" in the namespace "default": no relationship found between node 'node-a' and this object`},
		{name: "list secrets", call: func() error {
			_, err := kubelet.CoreV1().Secrets("default").List(ctx, metav1.ListOptions{})
			return err
		}, wantErr: apierrors.IsForbidden,
			message: `secrets is forbidden: User "system:node:node-a" cannot list resource "secrets" in API group "" in the namespace "default": No Object name found`},
		{name: "its pods", call: func() error {
			_, err := kubelet.CoreV1().Pods("").List(ctx, metav1.ListOptions{FieldSelector: "spec.nodeName=node-a"})
			return err
		}},
		{name: "all pods", call: func() error {
			_, err := kubelet.CoreV1().Pods("").List(ctx, metav1.ListOptions{})
			return err
		}, wantErr: apierrors.IsForbidden,
			message: `pods is forbidden: User "system:node:node-a" cannot list resource "pods" in API group "" at the cluster scope: can only list/watch pods with spec.nodeName field selector`},
		{name: "its own lease is allowed (and missing)", call: func() error {
			_, err := kubelet.CoordinationV1().Leases("kube-node-lease").Get(ctx, "node-a", metav1.GetOptions{})
			return err
		}, wantErr: apierrors.IsNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if tc.wantErr == nil {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if !tc.wantErr(err) {
				t.Fatalf("error %v", err)
			}
			if tc.message != "" && err.Error() != tc.message {
				t.Errorf("message\n got %s\nwant %s", err, tc.message)
			}
		})
	}
}
