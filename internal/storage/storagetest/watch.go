package storagetest

import (
	"net/http"
	"reflect"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
)

// InitialEventsEndAnnotation marks the bookmark that ends a watch's initial events.
const InitialEventsEndAnnotation = "k8s.io/initial-events-end"

func runWatchTests(t *testing.T, newStore NewStoreFunc) {
	runCases(t, newStore, []testCase{
		{"from resourceVersion", testWatchFromRV},
		{"single key", testWatchSingleKey},
		{"from 0 sends current state", testWatchFromZero},
		{"compacted resourceVersion is expired", testWatchCompacted},
		{"predicate", testWatchPredicate},
		{"bookmarks", testWatchBookmarks},
		{"send initial events", testWatchInitialEvents},
	})
}

func everything() storage.SelectionPredicate { return predicate("", "", 0, "") }

func testWatchFromRV(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	a := create(t, s, podSpec{ns: "ns", name: "a"})
	w := startWatch(t, s, Prefix, storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion, Predicate: everything()})
	b := create(t, s, podSpec{ns: "ns", name: "b"})
	b2 := update(t, s, "ns", "b", func(p *corev1.Pod) { p.Spec.NodeName = "n" })
	other := create(t, s, podSpec{ns: "other", name: "c"})
	del(t, s, "ns", "a")
	// The deletion is reported at its own revision, the one before cur's.
	cur := update(t, s, "ns", "b", func(p *corev1.Pod) { p.Spec.NodeName = "m" })
	expectEvents(t, w, []wantEvent{
		{typ: watch.Added, name: "b", rv: rvOf(t, b)},
		{typ: watch.Modified, name: "b", rv: rvOf(t, b2)},
		{typ: watch.Added, name: "c", rv: rvOf(t, other)},
		{typ: watch.Deleted, name: "a", rv: rvOf(t, cur) - 1},
		{typ: watch.Modified, name: "b", rv: rvOf(t, cur)},
	})

	t.Run("namespace scoped", func(t *testing.T) {
		w := startWatch(t, s, Prefix+"other", storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion, Predicate: everything()})
		expectEvents(t, w, []wantEvent{{typ: watch.Added, name: "c", rv: rvOf(t, other)}})
		expectNoEvent(t, w, 300*time.Millisecond)
	})
}

func testWatchSingleKey(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	a := create(t, s, podSpec{ns: "ns", name: "a"})
	w := startWatch(t, s, Key("ns", "a"), storage.ListOptions{ResourceVersion: a.ResourceVersion, Predicate: everything()})
	create(t, s, podSpec{ns: "ns", name: "ab"})
	a2 := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "n" })
	expectEvents(t, w, []wantEvent{{typ: watch.Modified, name: "a", rv: rvOf(t, a2)}})
}

func testWatchFromZero(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	create(t, s, podSpec{ns: "ns", name: "a"})
	create(t, s, podSpec{ns: "ns", name: "b"})
	existing := []string{"a", "b"}
	for _, rv := range []string{"", "0"} {
		t.Run("rv="+rv, func(t *testing.T) {
			// A cache may serve "0" from slightly old state: retry until it is current.
			deadline := time.Now().Add(eventTimeout)
			for {
				w := startWatch(t, s, Prefix, storage.ListOptions{Recursive: true, ResourceVersion: rv, Predicate: everything()})
				var got []string
				for range existing {
					ev := nextEvent(t, w, false)
					if ev.Type != watch.Added {
						t.Fatalf("initial event %s, want ADDED", ev.Type)
					}
					got = append(got, nameOf(ev.Object))
				}
				if reflect.DeepEqual(got, existing) {
					c := create(t, s, podSpec{ns: "ns", name: "c" + sanitize(rv)})
					expectEvents(t, w, []wantEvent{{typ: watch.Added, name: c.Name, rv: rvOf(t, c)}})
					existing = append(existing, c.Name)
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("initial events for %v, want %v", got, existing)
				}
				w.Stop()
				time.Sleep(50 * time.Millisecond)
			}
		})
	}
}

// isExpired reports whether a watch event is the 410 Gone error of a compacted
// resourceVersion.
func isExpired(ev watch.Event) bool {
	st, ok := ev.Object.(*metav1.Status)
	return ev.Type == watch.Error && ok && st.Code == http.StatusGone && st.Reason == metav1.StatusReasonExpired
}

func testWatchCompacted(t *testing.T, s storage.Interface, c *clientv3.Client) {
	first := create(t, s, podSpec{ns: "ns", name: "a"})
	var last *corev1.Pod
	for i := 0; i < ForgetAfter+10; i++ {
		last = update(t, s, "ns", "a", func(p *corev1.Pod) { p.Labels = map[string]string{"n": fmtRV(int64(i))} })
	}
	// A store that watches etcd (the watch cache) must have seen the writes before
	// the compaction: etcd cancels a watch that is still behind the compacted
	// revision, and the cache's relist would then end this test's watch early.
	if err := s.GetList(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, ResourceVersion: last.ResourceVersion,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, Predicate: everything()}, NewListFunc()); err != nil {
		t.Fatalf("list at %s: %v", last.ResourceVersion, err)
	}
	if _, err := c.Compact(ctxFor(t), rvOf(t, last)); err != nil {
		t.Fatalf("compact: %v", err)
	}
	w, err := s.Watch(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion, Predicate: everything()})
	if err != nil {
		// Failing the call itself is allowed, with the Expired code.
		wantCode(t, err, storage.CodeExpired)
		return
	}
	defer w.Stop()
	ev := nextEvent(t, w, false)
	if !isExpired(ev) {
		t.Fatalf("got %s %#v, want an ERROR event with a 410 Expired status", ev.Type, ev.Object)
	}
}

func testWatchPredicate(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	a := create(t, s, podSpec{ns: "ns", name: "a", labels: map[string]string{"app": "web"}})
	w := startWatch(t, s, Prefix, storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion, Predicate: predicate("app=web", "", 0, "")})
	create(t, s, podSpec{ns: "ns", name: "db", labels: map[string]string{"app": "db"}})
	left := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Labels["app"] = "db" })
	update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "unseen" })
	back := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Labels["app"] = "web" })
	inPlace := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "seen" })
	del(t, s, "ns", "db")
	del(t, s, "ns", "a")
	expectEvents(t, w, []wantEvent{
		{typ: watch.Deleted, name: "a", rv: rvOf(t, left)},
		{typ: watch.Added, name: "a", rv: rvOf(t, back)},
		{typ: watch.Modified, name: "a", rv: rvOf(t, inPlace)},
		{typ: watch.Deleted, name: "a"},
	})
	expectNoEvent(t, w, 300*time.Millisecond)
}

func testWatchBookmarks(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	a := create(t, s, podSpec{ns: "ns", name: "a"})
	w := startWatch(t, s, Prefix, storage.ListOptions{Recursive: true, ResourceVersion: a.ResourceVersion, AllowWatchBookmarks: true, Predicate: everything()})
	b := create(t, s, podSpec{ns: "ns", name: "b"})
	expectEvents(t, w, []wantEvent{{typ: watch.Added, name: "b", rv: rvOf(t, b)}})
	ev := nextEvent(t, w, true)
	if ev.Type != watch.Bookmark {
		t.Fatalf("got %s %s, want BOOKMARK", ev.Type, nameOf(ev.Object))
	}
	if _, ok := ev.Object.(*corev1.Pod); !ok {
		t.Fatalf("bookmark object is %T, want *v1.Pod", ev.Object)
	}
	if got := rvOf(t, ev.Object); got < rvOf(t, b) {
		t.Fatalf("bookmark resourceVersion %d older than the last event's %d", got, rvOf(t, b))
	}
}

func testWatchInitialEvents(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	create(t, s, podSpec{ns: "ns", name: "a", labels: map[string]string{"app": "web"}})
	create(t, s, podSpec{ns: "ns", name: "b", labels: map[string]string{"app": "db"}})
	last := create(t, s, podSpec{ns: "ns", name: "c", labels: map[string]string{"app": "web"}})
	yes := true
	w := startWatch(t, s, Prefix, storage.ListOptions{
		Recursive: true, SendInitialEvents: &yes, AllowWatchBookmarks: true,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, Predicate: predicate("app=web", "", 0, ""),
	})
	expectEvents(t, w, []wantEvent{{typ: watch.Added, name: "a"}, {typ: watch.Added, name: "c"}})
	ev := nextEvent(t, w, true)
	if ev.Type != watch.Bookmark {
		t.Fatalf("got %s %s, want the initial-events-end BOOKMARK", ev.Type, nameOf(ev.Object))
	}
	acc, err := meta.Accessor(ev.Object)
	if err != nil {
		t.Fatal(err)
	}
	if acc.GetAnnotations()[InitialEventsEndAnnotation] != "true" {
		t.Fatalf("bookmark annotations %v, want %s=true", acc.GetAnnotations(), InitialEventsEndAnnotation)
	}
	if rvOf(t, ev.Object) < rvOf(t, last) {
		t.Fatalf("bookmark resourceVersion %d older than the last write %d", rvOf(t, ev.Object), rvOf(t, last))
	}
	d := create(t, s, podSpec{ns: "ns", name: "d", labels: map[string]string{"app": "web"}})
	expectEvents(t, w, []wantEvent{{typ: watch.Added, name: "d", rv: rvOf(t, d)}})
}
