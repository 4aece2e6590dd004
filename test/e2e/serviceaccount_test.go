package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// TestServiceAccountTokenSurvivesRestart issues a token with `kubectl create token` in
// embedded mode and uses it before and after a restart on the same data directory: the
// signing key generated in <data-dir>/pki/sa.key is kept.
func TestServiceAccountTokenSurvivesRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first, err := startKapi(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.kill() })
	c := ctx(t, 2*time.Minute)
	if _, err := first.clientset(t).CoreV1().ServiceAccounts("default").Create(c,
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	token := strings.TrimSpace(newKubectl(t, first).ok(t, "create", "token", "robot", "-n", "default", "--duration", "1h"))
	keyBefore, err := os.ReadFile(filepath.Join(dataDir, "pki", "sa.key"))
	if err != nil {
		t.Fatalf("the signing key is not in <data-dir>/pki/sa.key: %v", err)
	}
	whoAmI := func(t *testing.T, s *kapiServer) string {
		t.Helper()
		cfg := rest.AnonymousClientConfig(s.restConfig(t))
		cfg.BearerToken = token
		r, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(c, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("the token does not authenticate: %v", err)
		}
		return r.Status.UserInfo.Username
	}
	if u := whoAmI(t, first); u != "system:serviceaccount:default:robot" {
		t.Fatalf("user %q", u)
	}
	if err := first.stop(); err != nil {
		t.Fatal(err)
	}
	second, err := startKapi(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.kill() })
	if u := whoAmI(t, second); u != "system:serviceaccount:default:robot" {
		t.Fatalf("after restart: user %q", u)
	}
	keyAfter, err := os.ReadFile(filepath.Join(dataDir, "pki", "sa.key"))
	if err != nil || !bytes.Equal(keyBefore, keyAfter) {
		t.Fatalf("the signing key changed across the restart (%v)", err)
	}
}
