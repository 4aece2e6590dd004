package e2e

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

// TestRestart stops a dedicated server with SIGTERM while a watch is open, starts it
// again on the same data directory and checks that objects and certificates survived.
func TestRestart(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	first, err := startKapi(dataDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = first.kill() })
	c := ctx(t, 2*time.Minute)
	firstCfg := first.restConfig(t)
	cs := first.clientset(t)
	caBefore, err := os.ReadFile(filepath.Join(dataDir, "pki", "ca.crt"))
	if err != nil {
		t.Fatalf("the CA is not in <data-dir>/pki/ca.crt: %v", err)
	}
	var created *corev1.ConfigMap

	t.Run("create before restart", func(t *testing.T) {
		if _, err := cs.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "keep"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		created, err = cs.CoreV1().ConfigMaps("keep").Create(c, configMap("survivor", nil, map[string]string{"k": "v"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	})
	if created == nil {
		t.FailNow()
	}

	t.Run("SIGTERM ends open watches and exits 0", func(t *testing.T) {
		w, err := cs.CoreV1().ConfigMaps("").Watch(c, metav1.ListOptions{ResourceVersion: created.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		start := time.Now()
		if err := first.stop(); err != nil {
			t.Fatal(err)
		}
		t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
		select {
		case _, ok := <-w.ResultChan():
			for ok {
				_, ok = <-w.ResultChan()
			}
		case <-time.After(5 * time.Second):
			t.Error("the watch stayed open after the server exited")
		}
	})

	second, err := startKapi(dataDir)
	if err != nil {
		t.Fatalf("restart on the same data dir: %v", err)
	}
	t.Cleanup(func() { _ = second.kill() })

	t.Run("objects survive", func(t *testing.T) {
		got, err := second.clientset(t).CoreV1().ConfigMaps("keep").Get(c, "survivor", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got.UID != created.UID || got.ResourceVersion != created.ResourceVersion || got.Data["k"] != "v" {
			t.Errorf("after restart uid=%s rv=%s data=%v, want uid=%s rv=%s", got.UID, got.ResourceVersion, got.Data, created.UID, created.ResourceVersion)
		}
	})

	t.Run("certificates reused", func(t *testing.T) {
		caAfter, err := os.ReadFile(filepath.Join(dataDir, "pki", "ca.crt"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(caBefore, caAfter) {
			t.Error("the CA changed across a restart")
		}
		// The credentials handed out before the restart still work.
		old := *firstCfg
		old.Host = second.host
		oldCS, err := kubernetes.NewForConfig(&old)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := oldCS.CoreV1().Namespaces().Get(c, "keep", metav1.GetOptions{}); err != nil {
			t.Errorf("the old kubeconfig no longer works: %v", err)
		}
	})

	t.Run("default namespaces present once", func(t *testing.T) {
		l, err := second.clientset(t).CoreV1().Namespaces().List(c, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		names := map[string]bool{}
		for _, ns := range l.Items {
			names[ns.Name] = true
		}
		for _, n := range []string{"default", "kube-system", "kube-public", "kube-node-lease", "keep"} {
			if !names[n] {
				t.Errorf("namespace %s missing after restart", n)
			}
		}
	})

	t.Run("watch from a resourceVersion before the restart is expired", func(t *testing.T) {
		w, err := second.clientset(t).CoreV1().ConfigMaps("keep").Watch(c, metav1.ListOptions{ResourceVersion: "1"})
		if err != nil {
			if !apierrors.IsResourceExpired(err) && !apierrors.IsGone(err) {
				t.Fatalf("err = %v, want 410 Expired", err)
			}
			return
		}
		defer w.Stop()
		got := collectEvents(t, w, 1, 10*time.Second)
		if len(got) != 1 || got[0].Type != watch.Error {
			t.Fatalf("events %v, want one ERROR event (410 \"too old resource version\"): the watch cache starts at the restart", eventTypes(got))
		}
		if st, ok := got[0].Object.(*metav1.Status); !ok || st.Code != 410 || st.Reason != metav1.StatusReasonExpired {
			t.Errorf("error event object %#v, want Status 410 Expired", got[0].Object)
		}
	})

	t.Run("second stop exits 0", func(t *testing.T) {
		if err := second.stop(); err != nil {
			t.Fatal(err)
		}
	})
}
