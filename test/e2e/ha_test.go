package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/pki"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// haIssuer is the service-account issuer both instances share.
const haIssuer = "https://kubernetes.default.svc.cluster.local"

// haInstance is how to (re)start one of the two kapis: the same flags every time.
type haInstance struct {
	name     string
	hostname string // set: run in its own UTS namespace with this host name
	dataDir  string
	port     int
	args     []string
}

// TestHighAvailability runs two kapi processes over one etcd with one PKI and one
// service-account key, as an HA control plane behind a load balancer would: what
// one writes the other reads and watches, CRDs and tokens work across them, each
// keeps its identity Lease, and one can stop and come back while the other serves.
func TestHighAvailability(t *testing.T) {
	etcd := etcdtest.Start(t)
	root := t.TempDir()
	bundle, err := pki.Ensure(pki.Config{Dir: filepath.Join(root, "pki"), Hosts: []string{"localhost", "127.0.0.1"},
		AdminUser: "kubernetes-admin", AdminGroups: []string{"system:masters"}})
	if err != nil {
		t.Fatal(err)
	}
	// Both kapis run on this machine, so they share a host name and with it, as
	// upstream, the identity Lease's name. B gets a host name of its own when the
	// test may create a UTS namespace.
	hostnameB := ""
	if exec.Command("unshare", "--uts", "true").Run() == nil {
		hostnameB = "kapi-ha-b"
	}
	newInstance := func(name, hostname string) *haInstance {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		in := &haInstance{name: name, hostname: hostname, dataDir: filepath.Join(root, name), port: port}
		in.args = []string{"--data-dir", in.dataDir, "--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1",
			"--etcd-servers", strings.Join(etcd.Endpoints(), ","), "--etcd-compaction-interval", "0",
			"--client-ca-file", bundle.CACertFile, "--tls-cert-file", bundle.ServingCertFile, "--tls-private-key-file", bundle.ServingKeyFile,
			"--service-account-signing-key-file", bundle.SAKeyFile, "--service-account-key-file", bundle.SAPubFile,
			"--service-account-issuer", haIssuer}
		if err := os.MkdirAll(in.dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteKubeconfig(filepath.Join(in.dataDir, "admin.kubeconfig"), "https://127.0.0.1:"+strconv.Itoa(port), bundle); err != nil {
			t.Fatal(err)
		}
		return in
	}
	instA, instB := newInstance("a", ""), newInstance("b", hostnameB)
	a, b := instA.start(t), instB.start(t)
	csA, csB := a.clientset(t), b.clientset(t)
	c := ctx(t, 2*time.Minute)
	ns := "ha-" + randSuffix()
	if _, err := csA.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	t.Run("a write on A is read and watched on B", func(t *testing.T) {
		w, err := csB.CoreV1().ConfigMaps(ns).Watch(c, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		created, err := csA.CoreV1().ConfigMaps(ns).Create(c, configMap("from-a", nil, map[string]string{"k": "v"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.ResultChan():
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if ev.Type != watch.Added || !ok || cm.UID != created.UID {
				t.Fatalf("B's watch saw %s %T, want ADDED of %s", ev.Type, ev.Object, created.UID)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("B's watch did not see the write made on A")
		}
		got, err := csB.CoreV1().ConfigMaps(ns).Get(c, "from-a", metav1.GetOptions{})
		if err != nil || got.ResourceVersion != created.ResourceVersion || got.Data["k"] != "v" {
			t.Fatalf("B reads %v (err %v), want resourceVersion %s", got, err, created.ResourceVersion)
		}
	})

	t.Run("a CRD created on A is served on B", func(t *testing.T) {
		group := "ha" + randSuffix() + ".example.com"
		var crd unstructured.Unstructured
		if err := yaml.Unmarshal([]byte(widgetCRD(group, "widgets", "Widget")), &crd.Object); err != nil {
			t.Fatal(err)
		}
		crdGVR := schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
		dynA, dynB := dynamic.NewForConfigOrDie(a.restConfig(t)), dynamic.NewForConfigOrDie(b.restConfig(t))
		if _, err := dynA.Resource(crdGVR).Create(c, &crd, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = dynA.Resource(crdGVR).Delete(context.Background(), crd.GetName(), metav1.DeleteOptions{}) })
		widgets := schema.GroupVersionResource{Group: group, Version: "v1", Resource: "widgets"}
		eventually(t, 10*time.Second, "the CRD Established and its widgets served on B", func() error {
			got, err := dynB.Resource(crdGVR).Get(c, crd.GetName(), metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !established(got) {
				return fmt.Errorf("not Established: %v", got.Object["status"])
			}
			_, err = dynB.Resource(widgets).Namespace(ns).List(c, metav1.ListOptions{})
			return err
		})
		w := &unstructured.Unstructured{Object: map[string]any{"apiVersion": group + "/v1", "kind": "Widget",
			"metadata": map[string]any{"name": "w1"}, "spec": map[string]any{"replicas": int64(1)}}}
		if _, err := dynB.Resource(widgets).Namespace(ns).Create(c, w, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create a widget on B: %v", err)
		}
		got, err := dynA.Resource(widgets).Namespace(ns).Get(c, "w1", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("read B's widget on A: %v", err)
		}
		if size, _, _ := unstructured.NestedString(got.Object, "spec", "size"); size != "small" {
			t.Errorf("A's copy of the widget has spec.size %q, want the schema default", size)
		}
	})

	t.Run("a token minted by A is accepted by B", func(t *testing.T) {
		if _, err := csA.CoreV1().ServiceAccounts(ns).Create(c, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "robot"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tr, err := csA.CoreV1().ServiceAccounts(ns).CreateToken(c, "robot", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		cfg := rest.AnonymousClientConfig(b.restConfig(t))
		cfg.BearerToken = tr.Status.Token
		review, err := kubernetes.NewForConfigOrDie(cfg).AuthenticationV1().SelfSubjectReviews().Create(c, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("B refused A's token: %v", err)
		}
		if want := "system:serviceaccount:" + ns + ":robot"; review.Status.UserInfo.Username != want {
			t.Errorf("B sees %q, want %q", review.Status.UserInfo.Username, want)
		}
	})

	t.Run("each instance has its identity lease", func(t *testing.T) {
		want := 2
		if hostnameB == "" {
			want = 1 // one host name: one shared Lease, as upstream
		}
		eventually(t, 10*time.Second, "the identity leases", func() error {
			leases, err := csB.CoordinationV1().Leases("kube-system").List(c, metav1.ListOptions{LabelSelector: "apiserver.kubernetes.io/identity=kube-apiserver"})
			if err != nil {
				return err
			}
			hosts := map[string]bool{}
			for _, l := range leases.Items {
				hosts[l.Labels[corev1.LabelHostname]] = true
				if l.Spec.HolderIdentity == nil || !strings.HasPrefix(*l.Spec.HolderIdentity, l.Name+"_") {
					return fmt.Errorf("lease %s has holder %v", l.Name, l.Spec.HolderIdentity)
				}
			}
			if len(leases.Items) != want || len(hosts) != want {
				return fmt.Errorf("%d leases for hosts %v, want %d", len(leases.Items), hosts, want)
			}
			return nil
		})
	})

	t.Run("B serves while A stops and comes back", func(t *testing.T) {
		if err := a.stop(); err != nil {
			t.Fatal(err)
		}
		if _, err := csB.CoreV1().ConfigMaps(ns).Create(c, configMap("while-a-is-down", nil, nil), metav1.CreateOptions{}); err != nil {
			t.Fatalf("B with A down: %v", err)
		}
		a = instA.start(t)
		got, err := a.clientset(t).CoreV1().ConfigMaps(ns).Get(c, "while-a-is-down", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("restarted A does not see B's write: %v", err)
		}
		if _, err := csB.CoreV1().ConfigMaps(ns).Get(c, got.Name, metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := csB.CoreV1().ConfigMaps(ns).Get(c, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get missing on B: %v", err)
		}
	})
}

// established reports whether a CRD has the Established condition.
func established(crd *unstructured.Unstructured) bool {
	conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Established" && m["status"] == "True" {
			return true
		}
	}
	return false
}

// start runs the instance with its flags and waits until /readyz passes; the test's
// cleanup kills it if it still runs.
func (in *haInstance) start(t *testing.T) *kapiServer {
	t.Helper()
	s := &kapiServer{dataDir: in.dataDir, kubeconfig: filepath.Join(in.dataDir, "admin.kubeconfig"),
		host: "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(in.port)), log: &syncBuffer{}, exited: make(chan struct{})}
	if in.hostname != "" {
		// unshare execs in place, so the signals the test sends reach kapi itself.
		script := `hostname "$0" && exec "$@"`
		s.cmd = exec.Command("unshare", append([]string{"--uts", "sh", "-c", script, in.hostname, kapiBinary}, in.args...)...)
	} else {
		s.cmd = exec.Command(kapiBinary, in.args...)
	}
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { _ = s.kill() })
	if err := s.waitReady(time.Now().Add(60 * time.Second)); err != nil {
		t.Fatalf("kapi %s: %v\n%s", in.name, err, s.log.tail(20))
	}
	return s
}
