package cacher

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
)

// newTestCacher builds a Cacher over an etcd3 store on a fresh etcd; adjust may
// change the config first.
func newTestCacher(t testing.TB, adjust func(*Config)) (*Cacher, *clientv3.Client) {
	t.Helper()
	return newTestCacherOn(t, etcdtest.Start(t), adjust)
}

// newTestCacherOn is newTestCacher over the given etcd client.
func newTestCacherOn(t testing.TB, client *clientv3.Client, adjust func(*Config)) (*Cacher, *clientv3.Client) {
	t.Helper()
	store := etcd3.New(client, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix)
	cfg := Config{
		Storage:          store,
		ResourcePrefix:   storagetest.Prefix,
		GroupVersionKind: storagetest.GVK,
		NewFunc:          storagetest.NewFunc,
		NewListFunc:      storagetest.NewListFunc,
		GetAttrs:         storagetest.GetAttrs,
		EventBuffer:      storagetest.ForgetAfter - 8,
		BookmarkInterval: 200 * time.Millisecond,
		ProgressInterval: 200 * time.Millisecond,
	}
	if adjust != nil {
		adjust(&cfg)
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("new cacher: %v", err)
	}
	t.Cleanup(c.Stop)
	return c, client
}

func TestStorageSuite(t *testing.T) {
	for _, tc := range etcdtest.Clients {
		t.Run(tc.Name, func(t *testing.T) {
			storagetest.RunTests(t, func(t *testing.T) (storage.Interface, *clientv3.Client) {
				return newTestCacherOn(t, tc.Start(t), nil)
			})
		})
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func createPod(t *testing.T, s storage.Interface, name string) *corev1.Pod {
	t.Helper()
	out := &corev1.Pod{}
	in := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{"app": "x"}}}
	if err := s.Create(testCtx(t), storagetest.Key("ns", name), in, out); err != nil {
		t.Fatalf("create %s: %v", name, err)
	}
	return out
}

// eventually polls cond until it holds or 10s passed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadsReturnCopies checks what a reader may change: all of a Get's object, and
// the item structs of a list (whose maps and slices stay shared and read-only).
func TestReadsReturnCopies(t *testing.T) {
	c, _ := newTestCacher(t, nil)
	created := createPod(t, c, "a")
	eventually(t, "the cache to see the pod", func() bool { return c.ResourceVersion() >= mustRV(t, created.ResourceVersion) })
	tests := []struct {
		name   string
		read   func() (*corev1.Pod, error)
		mutate func(*corev1.Pod)
		intact func(*corev1.Pod) bool
	}{
		{name: "get at 0", mutate: func(p *corev1.Pod) { p.Labels["app"] = "mutated" },
			intact: func(p *corev1.Pod) bool { return p.Labels["app"] == "x" }, read: func() (*corev1.Pod, error) {
				out := &corev1.Pod{}
				return out, c.Get(testCtx(t), storagetest.Key("ns", "a"), storage.GetOptions{ResourceVersion: "0"}, out)
			}},
		{name: "list at 0", mutate: func(p *corev1.Pod) { p.Name, p.ResourceVersion = "renamed", "1" },
			intact: func(p *corev1.Pod) bool { return p.Name == "a" && p.ResourceVersion != "1" }, read: func() (*corev1.Pod, error) {
				out := &corev1.PodList{}
				err := c.GetList(testCtx(t), storagetest.Prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true, Predicate: storage.Everything}, out)
				if err != nil || len(out.Items) != 1 {
					return nil, err
				}
				return &out.Items[0], nil
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.read()
			if err != nil || got == nil || got.Name != "a" {
				t.Fatalf("read: %v, %v", err, got)
			}
			tc.mutate(got)
			again, err := tc.read()
			if err != nil || !tc.intact(again) {
				t.Fatalf("the cache kept a caller's mutation: %v, %+v", err, again.ObjectMeta)
			}
		})
	}
}

func mustRV(t *testing.T, rv string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSlowWatcherIsTerminated(t *testing.T) {
	c, _ := newTestCacher(t, func(cfg *Config) { cfg.WatcherBuffer = 2 })
	first := createPod(t, c, "first")
	opts := storage.ListOptions{Recursive: true, ResourceVersion: first.ResourceVersion, Predicate: storage.Everything}
	slow, err := c.Watch(testCtx(t), storagetest.Prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Stop()
	fast, err := c.Watch(testCtx(t), storagetest.Prefix, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer fast.Stop()
	const writes = 10
	for i := 0; i < writes; i++ {
		createPod(t, c, "p"+strconv.Itoa(i))
		// The fast watcher keeps up; the slow one never reads.
		if ev := <-fast.ResultChan(); ev.Type != watch.Added {
			t.Fatalf("fast watcher got %s", ev.Type)
		}
	}
	eventually(t, "the slow watcher to be terminated", func() bool { return c.TerminatedWatchers() == 1 })
	tests := []struct {
		name       string
		w          watch.Interface
		wantClosed bool
	}{
		{name: "slow watcher closed", w: slow, wantClosed: true},
		{name: "fast watcher still open", w: fast, wantClosed: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			closed := drainUntilClosed(tc.w, 2*time.Second)
			if closed != tc.wantClosed {
				t.Fatalf("closed = %v, want %v", closed, tc.wantClosed)
			}
		})
	}
}

// drainUntilClosed reads w for up to d and reports whether its channel closed.
func drainUntilClosed(w watch.Interface, d time.Duration) bool {
	timeout := time.After(d)
	for {
		select {
		case _, ok := <-w.ResultChan():
			if !ok {
				return true
			}
		case <-timeout:
			return false
		}
	}
}

func TestWatchOlderThanBufferIsExpired(t *testing.T) {
	c, _ := newTestCacher(t, func(cfg *Config) { cfg.EventBuffer = 4 })
	// Creates made before the cache's first list would be in that list, not in the
	// buffer.
	eventually(t, "the cache to be ready", c.isReady)
	first := createPod(t, c, "first")
	var last *corev1.Pod
	for i := 0; i < 6; i++ {
		last = createPod(t, c, "p"+strconv.Itoa(i))
	}
	eventually(t, "the cache to catch up", func() bool { return c.ResourceVersion() >= mustRV(t, last.ResourceVersion) })
	tests := []struct {
		name        string
		rv          string
		wantExpired bool
	}{
		{name: "older than the buffer", rv: first.ResourceVersion, wantExpired: true},
		{name: "inside the buffer", rv: strconv.FormatInt(mustRV(t, last.ResourceVersion)-2, 10)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w, err := c.Watch(testCtx(t), storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: tc.rv, Predicate: storage.Everything})
			if err != nil {
				t.Fatal(err)
			}
			defer w.Stop()
			ev := <-w.ResultChan()
			st, isStatus := ev.Object.(*metav1.Status)
			gotExpired := ev.Type == watch.Error && isStatus && st.Code == 410
			if gotExpired != tc.wantExpired {
				t.Fatalf("got %s %v, want expired %v", ev.Type, ev.Object, tc.wantExpired)
			}
		})
	}
}

func TestStopEndsWatchers(t *testing.T) {
	c, _ := newTestCacher(t, nil)
	tests := []struct {
		name string
		opts storage.ListOptions
	}{
		{name: "from now", opts: storage.ListOptions{Recursive: true, Predicate: storage.Everything}},
		{name: "with bookmarks", opts: storage.ListOptions{Recursive: true, AllowWatchBookmarks: true, Predicate: storage.Everything}},
	}
	var ws []watch.Interface
	for _, tc := range tests {
		w, err := c.Watch(testCtx(t), storagetest.Prefix, tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ws = append(ws, w)
	}
	c.Stop()
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !drainUntilClosed(ws[i], 5*time.Second) {
				t.Fatal("watch still open after Stop")
			}
		})
	}
	if _, err := c.Watch(testCtx(t), storagetest.Prefix, tests[0].opts); !storage.HasCode(err, storage.CodeUnreachable) {
		t.Fatalf("watch after Stop: %v, want an Unreachable error", err)
	}
}

// BenchmarkDispatch1000Watchers measures fanning one change out to 1,000 watchers,
// each with its own consumer, from apply to delivery.
func BenchmarkDispatch1000Watchers(b *testing.B) {
	const watchers = 1000
	c, _ := newTestCacher(b, func(cfg *Config) { cfg.WatcherBuffer = 256 })
	eventuallyB(b, func() bool { return c.isReady() })
	received := make([]atomic.Int64, watchers)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	for i := 0; i < watchers; i++ {
		w, err := c.Watch(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.Everything})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		go func() {
			for range w.ResultChan() {
				received[i].Add(1)
			}
		}()
	}
	var buf bytes.Buffer
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "bench", Labels: map[string]string{"app": "x"}}}
	pod.SetGroupVersionKind(storagetest.GVK)
	if err := storagetest.Codec().Encode(pod, &buf); err != nil {
		b.Fatal(err)
	}
	rev := c.ResourceVersion() + 1000
	key := []byte(storagetest.Key("ns", "bench"))
	b.ResetTimer()
	for n := 1; n <= b.N; n++ {
		rev++
		ev := &clientv3.Event{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: key, Value: buf.Bytes(), ModRevision: rev}}
		if err := c.apply([]*clientv3.Event{ev}); err != nil {
			b.Fatal(err)
		}
		if n%64 == 0 || n == b.N {
			for i := range received {
				for received[i].Load() < int64(n) {
					time.Sleep(10 * time.Microsecond)
				}
			}
		}
	}
	b.StopTimer()
	if got := c.TerminatedWatchers(); got != 0 {
		b.Fatalf("%d watchers terminated", got)
	}
}

func eventuallyB(b *testing.B, cond func() bool) {
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			b.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestReadsAtZeroSeeOwnWrites checks that reads at resourceVersion "0" right after
// a create through the cache's storage find the object: the cache waits for the
// writes its storage acknowledged rather than answer from behind them.
// initialEvents opens a watch that starts with the state not older than rv and
// counts the objects it sends before its initial-events bookmark.
func initialEvents(t *testing.T, c *Cacher, rv string) int {
	t.Helper()
	sendInitial := true
	w, err := c.Watch(testCtx(t), storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: rv,
		SendInitialEvents: &sendInitial, AllowWatchBookmarks: true, Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	n := 0
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added:
			n++
		case watch.Bookmark:
			return n
		default:
			t.Fatalf("initial event %s", ev.Type)
		}
	}
	t.Fatal("the watch ended before its initial-events bookmark")
	return 0
}

func TestReadsAtZeroSeeOwnWrites(t *testing.T) {
	c, _ := newTestCacher(t, nil)
	ctx := testCtx(t)
	eventually(t, "the cache to be ready", c.isReady)
	for i := range 100 {
		name := fmt.Sprintf("p%d", i)
		if err := c.storage.Create(ctx, storagetest.Key("ns", name), &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}}, &corev1.Pod{}); err != nil {
			t.Fatal(err)
		}
		switch i % 3 {
		case 0:
			if err := c.Get(ctx, storagetest.Key("ns", name), storage.GetOptions{ResourceVersion: "0"}, &corev1.Pod{}); err != nil {
				t.Fatalf("get %s at 0 right after its create: %v", name, err)
			}
			continue
		case 1:
			if n := initialEvents(t, c, "0"); n != i+1 {
				t.Fatalf("watch with the state at 0 right after creating %s: %d pods, want %d", name, n, i+1)
			}
			continue
		}
		list := &corev1.PodList{}
		if err := c.GetList(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.Everything}, list); err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != i+1 {
			t.Fatalf("list at 0 right after creating %s: %d pods, want %d", name, len(list.Items), i+1)
		}
	}
}

// TestListSharedMatchesGetList checks that ListShared returns what GetList does, in
// the same order and at the same resourceVersion, and that the items it serves from
// memory are the cache's own objects rather than copies.
func TestListSharedMatchesGetList(t *testing.T) {
	c, _ := newTestCacher(t, nil)
	var last *corev1.Pod
	for i, name := range []string{"c", "a", "b", "d"} {
		ns := []string{"ns", "other"}[i%2]
		last = &corev1.Pod{}
		in := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"even": strconv.FormatBool(i%2 == 0)}}}
		if err := c.Create(testCtx(t), storagetest.Key(ns, name), in, last); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the cache to see the pods", func() bool { return c.ResourceVersion() >= mustRV(t, last.ResourceVersion) })
	even := storage.Everything
	even.Label = labels.SelectorFromSet(labels.Set{"even": "true"})
	paged := storage.Everything
	paged.Limit = 1
	tests := []struct {
		name     string
		key      string
		opts     storage.ListOptions
		fromMemo bool
	}{
		{"all at 0", storagetest.Prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true, Predicate: storage.Everything}, true},
		{"namespace, consistent", storagetest.Prefix + "ns", storage.ListOptions{Recursive: true, Predicate: storage.Everything}, true},
		{"selector", storagetest.Prefix, storage.ListOptions{ResourceVersion: "0", Recursive: true, Predicate: even}, true},
		{"one key", storagetest.Key("other", "a"), storage.ListOptions{ResourceVersion: "0", Predicate: storage.Everything}, true},
		{"a page, from etcd", storagetest.Prefix, storage.ListOptions{Recursive: true, Predicate: paged}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			want := &corev1.PodList{}
			if err := c.GetList(testCtx(t), tc.key, tc.opts, want); err != nil {
				t.Fatal(err)
			}
			got := &corev1.PodList{}
			items, err := c.ListShared(testCtx(t), tc.key, tc.opts, got)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Items) != 0 || got.ResourceVersion != want.ResourceVersion || got.Continue != want.Continue {
				t.Fatalf("list metadata %+v with %d items, want %+v and none", got.ListMeta, len(got.Items), want.ListMeta)
			}
			if len(items) != len(want.Items) || len(items) == 0 {
				t.Fatalf("%d items, want %d (and some)", len(items), len(want.Items))
			}
			for i, item := range items {
				pod := item.(*corev1.Pod)
				if pod.Namespace != want.Items[i].Namespace || pod.Name != want.Items[i].Name || pod.ResourceVersion != want.Items[i].ResourceVersion {
					t.Fatalf("item %d is %s/%s@%s, want %s/%s@%s", i, pod.Namespace, pod.Name, pod.ResourceVersion,
						want.Items[i].Namespace, want.Items[i].Name, want.Items[i].ResourceVersion)
				}
				c.mu.RLock()
				cached := c.objects[storagetest.Key(pod.Namespace, pod.Name)]
				c.mu.RUnlock()
				if shared := cached == item; shared != tc.fromMemo {
					t.Fatalf("item %d shared with the cache: %v, want %v", i, shared, tc.fromMemo)
				}
			}
		})
	}
}

// BenchmarkList10000 lists a cache of 10,000 Pods in 100 namespaces: one
// namespace, and everything into a typed list (GetList) and apart from it
// (ListShared); "after a create" adds a Pod before each list, so the key index
// merges it in.
func BenchmarkList10000(b *testing.B) {
	c, _ := newTestCacher(b, nil)
	eventuallyB(b, func() bool { return c.isReady() })
	rev := c.ResourceVersion() + 1000
	event := func(ns, name string) *clientv3.Event {
		var buf bytes.Buffer
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app": "x"}}}
		pod.SetGroupVersionKind(storagetest.GVK)
		if err := storagetest.Codec().Encode(pod, &buf); err != nil {
			b.Fatal(err)
		}
		rev++
		return &clientv3.Event{Type: mvccpb.PUT, Kv: &mvccpb.KeyValue{Key: []byte(storagetest.Key(ns, name)), Value: buf.Bytes(), ModRevision: rev}}
	}
	var evs []*clientv3.Event
	for i := range 10000 {
		evs = append(evs, event(fmt.Sprintf("ns-%02d", i%100), fmt.Sprintf("pod-%05d", i)))
	}
	if err := c.apply(evs); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	opts := storage.ListOptions{ResourceVersion: "0", Recursive: true, Predicate: storage.Everything}
	for _, tc := range []struct {
		name        string
		key         string
		shared      bool
		afterCreate bool
		want        int
	}{
		{"namespace", storagetest.Prefix + "ns-42", false, false, 100},
		{"all/typed", storagetest.Prefix, false, false, 10000},
		{"all/shared", storagetest.Prefix, true, false, 10000},
		{"namespace/after-a-create", storagetest.Prefix + "ns-42", false, true, 100},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if tc.afterCreate {
					b.StopTimer()
					if err := c.apply([]*clientv3.Event{event("ns-00", fmt.Sprintf("new-%s-%d", tc.name, i))}); err != nil {
						b.Fatal(err)
					}
					b.StartTimer()
				}
				list := &corev1.PodList{}
				n := 0
				if tc.shared {
					items, err := c.ListShared(ctx, tc.key, opts, list)
					if err != nil {
						b.Fatal(err)
					}
					n = len(items)
				} else {
					if err := c.GetList(ctx, tc.key, opts, list); err != nil {
						b.Fatal(err)
					}
					n = len(list.Items)
				}
				if n != tc.want {
					b.Fatalf("listed %d, want %d", n, tc.want)
				}
			}
		})
	}
}
