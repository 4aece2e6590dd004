package storagetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
)

// NewStoreFunc builds the store under test for one test, over a fresh etcd whose client
// it returns too (the suite compacts and reads etcd directly). The store must be built
// for Prefix with NewFunc, NewListFunc and Codec, and must keep fewer than
// ForgetAfter watch events in memory, so that compaction can be observed.
type NewStoreFunc func(t *testing.T) (storage.Interface, *clientv3.Client)

// ForgetAfter is the number of writes after which a store may no longer serve a watch
// from an older resourceVersion; caches under test must hold fewer events.
const ForgetAfter = 40

// eventTimeout bounds every wait for a watch event.
const eventTimeout = 10 * time.Second

// RunTests runs the whole suite against the stores newStore builds. Every case gets
// its own store and etcd and runs in parallel with the others.
func RunTests(t *testing.T, newStore NewStoreFunc) {
	groups := []struct {
		name string
		run  func(t *testing.T, newStore NewStoreFunc)
	}{
		{"CRUD", runCRUDTests},
		{"List", runListTests},
		{"Watch", runWatchTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, newStore) })
	}
}

// testCase is one named case of a group; each gets a fresh store.
type testCase struct {
	name string
	run  func(t *testing.T, s storage.Interface, c *clientv3.Client)
}

func runCases(t *testing.T, newStore NewStoreFunc, cases []testCase) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, c := newStore(t)
			tc.run(t, s, c)
		})
	}
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// podSpec describes a Pod to create.
type podSpec struct {
	ns, name string
	labels   map[string]string
	node     string
	phase    corev1.PodPhase
}

func (p podSpec) pod() *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: p.ns, Name: p.name, Labels: p.labels, UID: types.UID("uid-" + p.ns + "-" + p.name)},
		Spec:       corev1.PodSpec{NodeName: p.node},
		Status:     corev1.PodStatus{Phase: p.phase},
	}
}

func create(t *testing.T, s storage.Interface, p podSpec) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.Create(ctxFor(t), Key(p.ns, p.name), p.pod(), out); err != nil {
		t.Fatalf("create %s/%s: %v", p.ns, p.name, err)
	}
	return out
}

// update applies mutate to the stored Pod and returns the result.
func update(t *testing.T, s storage.Interface, ns, name string, mutate func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	err := s.GuaranteedUpdate(ctxFor(t), Key(ns, name), out, false, nil, func(in runtime.Object) (runtime.Object, error) {
		p := in.(*corev1.Pod)
		mutate(p)
		return p, nil
	})
	if err != nil {
		t.Fatalf("update %s/%s: %v", ns, name, err)
	}
	return out
}

func del(t *testing.T, s storage.Interface, ns, name string) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	if err := s.Delete(ctxFor(t), Key(ns, name), out, nil, nil); err != nil {
		t.Fatalf("delete %s/%s: %v", ns, name, err)
	}
	return out
}

func rvOf(t *testing.T, obj runtime.Object) int64 {
	t.Helper()
	acc, err := meta.Accessor(obj)
	if err != nil {
		listAcc, lerr := meta.ListAccessor(obj)
		if lerr != nil {
			t.Fatalf("no accessor for %T: %v", obj, err)
		}
		return parseRV(t, listAcc.GetResourceVersion())
	}
	return parseRV(t, acc.GetResourceVersion())
}

func parseRV(t *testing.T, rv string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		t.Fatalf("bad resourceVersion %q: %v", rv, err)
	}
	return n
}

func fmtRV(rv int64) string { return strconv.FormatInt(rv, 10) }

func wantCode(t *testing.T, err error, code storage.Code) {
	t.Helper()
	if !storage.HasCode(err, code) {
		t.Fatalf("got error %v, want storage code %d", err, code)
	}
}

func nameOf(obj runtime.Object) string {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return ""
	}
	return acc.GetName()
}

// startWatch opens a watch and stops it when the test ends.
func startWatch(t *testing.T, s storage.Interface, key string, opts storage.ListOptions) watch.Interface {
	t.Helper()
	w, err := s.Watch(ctxFor(t), key, opts)
	if err != nil {
		t.Fatalf("watch %s: %v", key, err)
	}
	t.Cleanup(w.Stop)
	return w
}

// nextEvent returns the next event, skipping bookmarks unless keepBookmarks.
func nextEvent(t *testing.T, w watch.Interface, keepBookmarks bool) watch.Event {
	t.Helper()
	timeout := time.After(eventTimeout)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch closed while waiting for an event")
			}
			if ev.Type == watch.Bookmark && !keepBookmarks {
				continue
			}
			return ev
		case <-timeout:
			t.Fatalf("no watch event in %v", eventTimeout)
		}
	}
}

// wantEvent is an expected watch event: its type, object name and, when non-zero,
// resourceVersion.
type wantEvent struct {
	typ  watch.EventType
	name string
	rv   int64
}

func expectEvents(t *testing.T, w watch.Interface, want []wantEvent) {
	t.Helper()
	for i, we := range want {
		ev := nextEvent(t, w, false)
		if ev.Type != we.typ || nameOf(ev.Object) != we.name {
			t.Fatalf("event %d: got %s %s (%#v), want %s %s", i, ev.Type, nameOf(ev.Object), ev.Object, we.typ, we.name)
		}
		if we.rv != 0 {
			if got := rvOf(t, ev.Object); got != we.rv {
				t.Fatalf("event %d (%s %s): resourceVersion %d, want %d", i, ev.Type, we.name, got, we.rv)
			}
		}
	}
}

// expectNoEvent fails if a non-bookmark event arrives within d.
func expectNoEvent(t *testing.T, w watch.Interface, d time.Duration) {
	t.Helper()
	timeout := time.After(d)
	for {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch closed unexpectedly")
			}
			if ev.Type != watch.Bookmark {
				t.Fatalf("unexpected event %s %s", ev.Type, nameOf(ev.Object))
			}
		case <-timeout:
			return
		}
	}
}
