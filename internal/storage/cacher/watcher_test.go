package cacher

import (
	"context"
	"strconv"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
)

// TestCatchUpKeepsOrder starts watchers with a backlog while writes go on, so that
// each one goes live in the middle of the writes: every watcher still sees every
// write once, in order.
func TestCatchUpKeepsOrder(t *testing.T) {
	c, _ := newTestCacher(t, func(cfg *Config) { cfg.EventBuffer = 1000 })
	// The writes must come after the cache's first list: a list that already holds
	// p001 starts the event buffer past the watchers' resourceVersion (410).
	select {
	case <-c.readyCh:
	case <-time.After(10 * time.Second):
		t.Fatal("cache not ready")
	}
	const before, during, watchers = 30, 40, 8
	first := createPod(t, c, "p000")
	for i := 1; i < before; i++ {
		createPod(t, c, "p"+pad(i))
	}
	writes := make(chan struct{})
	go func() {
		defer close(writes)
		for i := before; i < before+during; i++ {
			createPod(t, c, "p"+pad(i))
		}
	}()
	var ws []watch.Interface
	for range watchers {
		w, err := c.Watch(testCtx(t), storagetest.Prefix, storage.ListOptions{Recursive: true,
			ResourceVersion: first.ResourceVersion, Predicate: storage.Everything})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		ws = append(ws, w)
		time.Sleep(2 * time.Millisecond)
	}
	<-writes
	for i, w := range ws {
		t.Run("watcher "+strconv.Itoa(i), func(t *testing.T) {
			var lastRV int64
			for n := 1; n < before+during; n++ {
				var ev watch.Event
				select {
				case ev = <-w.ResultChan():
				case <-time.After(10 * time.Second):
					t.Fatalf("event %d did not arrive", n)
				}
				acc, err := meta.Accessor(ev.Object)
				if err != nil || ev.Type != watch.Added || acc.GetName() != "p"+pad(n) {
					t.Fatalf("event %d: %s %v, want ADDED p%s", n, ev.Type, ev.Object, pad(n))
				}
				rv := mustRV(t, acc.GetResourceVersion())
				if rv <= lastRV {
					t.Fatalf("event %d at %d after %d", n, rv, lastRV)
				}
				lastRV = rv
			}
		})
	}
}

func pad(i int) string {
	s := strconv.Itoa(i)
	for len(s) < 3 {
		s = "0" + s
	}
	return s
}

// TestWatcherEnds checks each way a watch ends, live or still catching up: its
// result channel closes, Stop returns, and the cache forgets it.
func TestWatcherEnds(t *testing.T) {
	c, _ := newTestCacher(t, func(cfg *Config) { cfg.WatcherBuffer = 2 })
	for i := range 5 {
		createPod(t, c, "p"+pad(i))
	}
	live := storage.ListOptions{Recursive: true, ResourceVersion: strconv.FormatInt(c.ResourceVersion(), 10), Predicate: storage.Everything}
	// The state (5 pods) does not fit the buffer of 2: never read, it stays catching up.
	catchingUp := storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.Everything}
	tests := []struct {
		name       string
		opts       storage.ListOptions
		end        func(cancel context.CancelFunc, w watch.Interface)
		cancelLate bool
	}{
		{name: "live, context cancelled", opts: live, end: func(cancel context.CancelFunc, _ watch.Interface) { cancel() }},
		{name: "live, stopped", opts: live, end: func(_ context.CancelFunc, w watch.Interface) { w.Stop() }},
		{name: "catching up, context cancelled", opts: catchingUp, end: func(cancel context.CancelFunc, _ watch.Interface) { cancel() }},
		{name: "catching up, stopped", opts: catchingUp, end: func(_ context.CancelFunc, w watch.Interface) { w.Stop() }},
		{name: "context cancelled before the watch", opts: live},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.end == nil {
				cancel()
			}
			w, err := c.Watch(ctx, storagetest.Prefix, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if tc.end != nil {
				eventually(t, "the watcher to register", func() bool { return c.Watchers() == 1 })
				tc.end(cancel, w)
			}
			if !drainUntilClosed(w, 5*time.Second) {
				t.Fatal("result still open")
			}
			w.Stop()
			eventually(t, "the cache to forget the watcher", func() bool { return c.Watchers() == 0 })
		})
	}
}

// TestSlowCatchingUpWatcherIsTerminated fills the queue of a watcher that is still
// sending its initial state: it is terminated, as a live one would be.
func TestSlowCatchingUpWatcherIsTerminated(t *testing.T) {
	c, _ := newTestCacher(t, func(cfg *Config) { cfg.WatcherBuffer = 2 })
	for i := range 5 {
		createPod(t, c, "p"+pad(i))
	}
	w, err := c.Watch(testCtx(t), storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.Everything})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for i := 5; i < 8; i++ {
		createPod(t, c, "p"+pad(i))
	}
	eventually(t, "the watcher to be terminated", func() bool { return c.TerminatedWatchers() == 1 })
	if !drainUntilClosed(w, 5*time.Second) {
		t.Fatal("result still open")
	}
}
