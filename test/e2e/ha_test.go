package e2e

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
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

// haInstance is how to (re)start one of the kapis: the same flags every time.
type haInstance struct {
	name     string
	hostname string // set: run in its own UTS namespace with this host name
	dataDir  string
	ip       string // the loopback address it binds to
	port     int
	args     []string
}

// haAdvertise are the instances' --advertise-address values. Loopback addresses are
// no valid endpoints (upstream refuses them, kapi does not publish them), so each
// instance binds to its own 127.0.0.x and advertises a TEST-NET-1 address.
var haAdvertise = map[string]string{"a": "192.0.2.1", "b": "192.0.2.2", "c": "192.0.2.3"}

// TestHighAvailability runs three kapi processes over one etcd with one PKI and one
// service-account key, as an HA control plane behind a load balancer would: what
// one writes the others read and watch, CRDs and tokens work across them, each
// keeps its identity Lease and its master lease (the kubernetes Service lists the
// live instances), writes and watches through all three survive one being killed,
// and one can stop and come back while the others serve.
func TestHighAvailability(t *testing.T) {
	etcd := etcdtest.Start(t)
	root := t.TempDir()
	bundle, err := pki.Ensure(pki.Config{Dir: filepath.Join(root, "pki"), Hosts: []string{"localhost", "127.0.0.1", "127.0.0.2", "127.0.0.3"},
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
	newInstance := func(name, hostname, ip string) *haInstance {
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		in := &haInstance{name: name, hostname: hostname, dataDir: filepath.Join(root, name), ip: ip, port: port}
		in.args = []string{"--data-dir", in.dataDir, "--secure-port", strconv.Itoa(port), "--bind-address", ip,
			"--advertise-address", haAdvertise[name],
			"--etcd-servers", strings.Join(etcd.Endpoints(), ","), "--etcd-compaction-interval", "0",
			"--client-ca-file", bundle.CACertFile, "--tls-cert-file", bundle.ServingCertFile, "--tls-private-key-file", bundle.ServingKeyFile,
			"--service-account-signing-key-file", bundle.SAKeyFile, "--service-account-key-file", bundle.SAPubFile,
			"--service-account-issuer", haIssuer}
		if err := os.MkdirAll(in.dataDir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := pki.WriteKubeconfig(filepath.Join(in.dataDir, "admin.kubeconfig"), "https://"+net.JoinHostPort(ip, strconv.Itoa(port)), bundle); err != nil {
			t.Fatal(err)
		}
		return in
	}
	// C shares A's host name, and with it the identity Lease.
	instA, instB, instC := newInstance("a", "", "127.0.0.1"), newInstance("b", hostnameB, "127.0.0.2"), newInstance("c", "", "127.0.0.3")
	a, b, cc := instA.start(t), instB.start(t), instC.start(t)
	csA, csB := a.clientset(t), b.clientset(t)
	// epB polls the deprecated v1 Endpoints without logging the warning each time.
	quiet := b.restConfig(t)
	quiet.WarningHandler = rest.NoWarnings{}
	epB := kubernetes.NewForConfigOrDie(quiet)
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

	t.Run("the kubernetes Service lists the three instances", func(t *testing.T) {
		eventually(t, 15*time.Second, "the kubernetes endpoints", func() error {
			return kubernetesEndpoints(c, epB, "192.0.2.1", "192.0.2.2", "192.0.2.3")
		})
	})

	t.Run("writes and watches through three instances while one is killed", func(t *testing.T) {
		haLoad(t, c, []*kapiServer{a, b, cc}, 2)
		// C's lease lapses within its TTL (15 s) and a survivor reconciles within
		// its interval (10 s).
		eventually(t, 35*time.Second, "the killed instance gone from the kubernetes endpoints", func() error {
			return kubernetesEndpoints(c, epB, "192.0.2.1", "192.0.2.2")
		})
	})

	t.Run("B serves while A stops and comes back", func(t *testing.T) {
		if err := a.stop(); err != nil {
			t.Fatal(err)
		}
		// A graceful stop withdraws A's address at once, not when its lease expires.
		if err := kubernetesEndpoints(c, epB, "192.0.2.2"); err != nil {
			t.Errorf("right after A stopped: %v", err)
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
		eventually(t, 15*time.Second, "restarted A back in the kubernetes endpoints", func() error {
			return kubernetesEndpoints(c, epB, "192.0.2.1", "192.0.2.2")
		})
	})
}

// kubernetesEndpoints fails unless the kubernetes Endpoints and EndpointSlice list
// exactly want, in order.
func kubernetesEndpoints(c context.Context, cs kubernetes.Interface, want ...string) error {
	ep, err := cs.CoreV1().Endpoints("default").Get(c, "kubernetes", metav1.GetOptions{})
	if err != nil {
		return err
	}
	var got []string
	for _, s := range ep.Subsets {
		for _, a := range s.Addresses {
			got = append(got, a.IP)
		}
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("endpoints list %q, want %q", got, want)
	}
	slice, err := cs.DiscoveryV1().EndpointSlices("default").Get(c, "kubernetes", metav1.GetOptions{})
	if err != nil {
		return err
	}
	got = nil
	for _, e := range slice.Endpoints {
		got = append(got, e.Addresses...)
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("endpointslice lists %q, want %q", got, want)
	}
	return nil
}

// haWatcher records what one watch saw: every event's name and resourceVersion.
type haWatcher struct {
	mu     sync.Mutex
	events []haEvent
	err    error // why the watch ended early (expected only on the killed instance)
}

type haEvent struct {
	typ  watch.EventType
	name string
	rv   uint64
}

// haLoad has one writer per server create ConfigMaps in parallel while a watch on
// each server, started from a resourceVersion taken before the load, records the
// events; servers[kill] is killed with SIGKILL mid-load. Then every acknowledged
// create must be readable through a survivor, and every survivor's watch must have
// seen each of them exactly once, in increasing resourceVersion order.
func haLoad(t *testing.T, c context.Context, servers []*kapiServer, kill int) {
	const perWriter, killAfter = 150, 40
	clients := make([]kubernetes.Interface, len(servers))
	for i, s := range servers {
		clients[i] = s.clientset(t)
	}
	survivor := clients[(kill+1)%len(servers)]
	ns := "ha-load-" + randSuffix()
	if _, err := survivor.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	start, err := survivor.CoreV1().ConfigMaps(ns).List(c, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}

	watchCtx, stopWatches := context.WithCancel(c)
	defer stopWatches()
	watchers := make([]*haWatcher, len(servers))
	var watchWG sync.WaitGroup
	for i := range servers {
		watchers[i] = &haWatcher{}
		// The watch must be established before the first write, so it is opened here.
		w, err := clients[i].CoreV1().ConfigMaps(ns).Watch(watchCtx, metav1.ListOptions{ResourceVersion: start.ResourceVersion})
		if err != nil {
			t.Fatal(err)
		}
		watchWG.Go(func() { watchers[i].follow(watchCtx, clients[i], ns, w, start.ResourceVersion) })
	}

	var (
		ackMu   sync.Mutex
		acked   = map[string]uint64{}
		reached = make(chan struct{}) // the doomed instance's writer is well under way
		reach   = sync.OnceFunc(func() { close(reached) })
		killed  = make(chan struct{})
		wg      sync.WaitGroup
	)
	// The kill lands while every writer, the doomed one included, is writing.
	go func() {
		defer close(killed)
		<-reached
		if err := servers[kill].kill(); err != nil {
			t.Errorf("SIGKILL: %v", err)
		}
	}()
	for i := range servers {
		wg.Go(func() {
			for n := range perWriter {
				if i == kill && n == killAfter {
					reach()
				}
				name := fmt.Sprintf("w%d-%03d", i, n)
				cm, err := clients[i].CoreV1().ConfigMaps(ns).Create(c, configMap(name, nil, nil), metav1.CreateOptions{})
				if err != nil && i == kill && n >= killAfter {
					<-killed // writes to the killed instance fail from now on
					return
				}
				if err != nil {
					t.Errorf("create %s through a live instance: %v", name, err)
					if i == kill {
						reach()
					}
					return
				}
				rv, _ := strconv.ParseUint(cm.ResourceVersion, 10, 64)
				ackMu.Lock()
				acked[name] = rv
				ackMu.Unlock()
			}
		})
	}
	wg.Wait()
	<-killed
	if t.Failed() {
		return
	}

	list, err := survivor.CoreV1().ConfigMaps(ns).List(c, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	stored := map[string]bool{}
	for _, cm := range list.Items {
		stored[cm.Name] = true
	}
	for name := range acked {
		if !stored[name] {
			t.Errorf("acknowledged %s is not stored", name)
		}
	}

	for i, w := range watchers {
		if i == kill {
			continue
		}
		eventually(t, 30*time.Second, fmt.Sprintf("watch %d sees every acknowledged create", i), func() error {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.err != nil {
				return fmt.Errorf("watch ended: %v", w.err)
			}
			seen := map[string]bool{}
			for _, ev := range w.events {
				seen[ev.name] = true
			}
			for name := range acked {
				if !seen[name] {
					return fmt.Errorf("%s not seen yet (%d events)", name, len(w.events))
				}
			}
			return nil
		})
	}
	stopWatches()
	watchWG.Wait()
	for i, w := range watchers {
		if i == kill {
			continue
		}
		count := map[string]int{}
		var last uint64
		for _, ev := range w.events {
			if ev.typ != watch.Added {
				t.Errorf("watch %d: %s %s, want only ADDED", i, ev.typ, ev.name)
			}
			if ev.rv <= last {
				t.Errorf("watch %d: %s at resourceVersion %d after %d", i, ev.name, ev.rv, last)
			}
			last = ev.rv
			count[ev.name]++
		}
		for name, rv := range acked {
			if count[name] != 1 {
				t.Errorf("watch %d saw acknowledged %s (rv %d) %d times, want once", i, name, rv, count[name])
			}
		}
	}
	byKilled := 0
	for name := range acked {
		if strings.HasPrefix(name, fmt.Sprintf("w%d-", kill)) {
			byKilled++
		}
	}
	t.Logf("%d creates acknowledged, %d of them by the killed instance", len(acked), byKilled)
}

// follow records w's events until ctx ends; a stream the server closes is resumed
// from the last resourceVersion seen, as a reflector would.
func (hw *haWatcher) follow(ctx context.Context, cs kubernetes.Interface, ns string, w watch.Interface, rv string) {
	for {
		for ev := range w.ResultChan() {
			if ev.Type == watch.Error {
				hw.mu.Lock()
				hw.err = apierrors.FromObject(ev.Object)
				hw.mu.Unlock()
				continue
			}
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok || ev.Type == watch.Bookmark {
				continue
			}
			n, _ := strconv.ParseUint(cm.ResourceVersion, 10, 64)
			rv = cm.ResourceVersion
			hw.mu.Lock()
			hw.events = append(hw.events, haEvent{typ: ev.Type, name: cm.Name, rv: n})
			hw.mu.Unlock()
		}
		w.Stop()
		if ctx.Err() != nil {
			return
		}
		var err error
		if w, err = cs.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: rv}); err != nil {
			hw.mu.Lock()
			hw.err = err
			hw.mu.Unlock()
			return
		}
	}
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
		host: "https://" + net.JoinHostPort(in.ip, strconv.Itoa(in.port)), log: &syncBuffer{}, exited: make(chan struct{})}
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
