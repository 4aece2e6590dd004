package cacher

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
)

// InitialEventsEndAnnotation marks the bookmark that ends a watch's initial events.
const InitialEventsEndAnnotation = "k8s.io/initial-events-end"

// Watch serves a watch from the cache. resourceVersion "" and "0" (without
// sendInitialEvents=false) start with the current state as ADDED events, "" after
// the cache caught up with etcd; a resourceVersion N replays buffered events after N,
// or fails with 410 Expired when they were forgotten. sendInitialEvents=true sends
// the state at or after N and then a bookmark annotated k8s.io/initial-events-end.
func (c *Cacher) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	var rv int64
	if opts.ResourceVersion != "" {
		var err error
		if rv, err = parseRV(opts.ResourceVersion); err != nil {
			return nil, err
		}
	}
	if !c.waitReady(ctx) {
		return c.storage.Watch(ctx, key, opts)
	}
	sendInitial := opts.SendInitialEvents != nil && *opts.SendInitialEvents
	withState := sendInitial || (opts.SendInitialEvents == nil && rv == 0)
	switch {
	case opts.ResourceVersion == "" && withState:
		// A consistent start: best effort, as the state is only a starting point.
		if cur, err := c.storage.CurrentRevision(ctx); err == nil {
			c.waitUntil(ctx, int64(cur))
		}
	case rv > 0 && !c.waitUntil(ctx, rv):
		return nil, storage.NewError(storage.CodeTooLargeResourceVersion, key,
			"Too large resource version: %d, current: %d", rv, c.ResourceVersion())
	}
	if written := c.ownWrites(); withState && written > rv {
		// A state "not older than" rv also holds what this server wrote since, as
		// reads at "0" do (best effort, as there).
		c.waitUntil(ctx, written)
	}

	recursive := opts.Recursive
	if recursive && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	w := &cacheWatcher{
		cacher:         c,
		key:            key,
		recursive:      recursive,
		pred:           c.withAttrs(opts.Predicate),
		allowBookmarks: opts.AllowWatchBookmarks,
		result:         make(chan watch.Event, c.cfg.WatcherBuffer),
		stopCh:         make(chan struct{}),
		done:           make(chan struct{}),
	}
	// The watch ends with the request that opened it.
	w.stopCtx = context.AfterFunc(ctx, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.watchers[w.id] == w { // else it has ended already, or ends below
			delete(c.watchers, w.id)
			w.terminate()
		}
	})
	var backlog []*event
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
		w.stopCtx()
		return nil, storage.NewError(storage.CodeUnreachable, key, "watch cache is stopped")
	}
	w.lastRV = c.rv
	switch {
	case withState:
		for _, o := range c.snapshotLocked(key, recursive) {
			backlog = append(backlog, &event{typ: eventAdded, key: o.key, obj: o.obj, rv: c.rv})
		}
		if sendInitial {
			backlog = append(backlog, &event{typ: eventInitialEnd, rv: c.rv})
		}
	case rv > 0:
		evs, ok := c.eventsAfterLocked(rv)
		if !ok {
			start := c.bufferStart
			c.mu.Unlock()
			w.stopCtx()
			return newErrWatcher(expired(key, rv, start)), nil
		}
		backlog = evs
		w.lastRV = rv
	}
	if ctx.Err() != nil {
		// The context ended before the watcher was registered: it ends at once.
		w.live = true
		w.terminate()
		c.mu.Unlock()
		return w, nil
	}
	c.nextID++
	w.id = c.nextID
	c.watchers[w.id] = w
	live := len(backlog) == 0
	w.live = live
	c.mu.Unlock()
	if !live {
		go w.catchUp(backlog)
	}
	return w, nil
}

// waitReady waits for the first list, up to freshnessTimeout.
func (c *Cacher) waitReady(ctx context.Context) bool {
	if c.isReady() {
		return true
	}
	return c.waitUntil(ctx, 0)
}

func expired(key string, rv, oldest int64) *storage.Error {
	return &storage.Error{Code: storage.CodeExpired, Key: key, ResourceVersion: oldest,
		Message: "too old resource version: " + strconv.FormatInt(rv, 10) + " (" + strconv.FormatInt(oldest, 10) + ")"}
}

// cacheWatcher is one watch served from the cache.
//
// A live watcher has no goroutine: the cacher's dispatcher filters each event for
// it and puts it straight into result, under the cacher's lock, so that an event
// reaches a thousand consumers without a thousand extra goroutine hand-offs (and
// their stacks). A watcher that starts with a backlog (the initial state, or a
// replay from a resourceVersion) is caught up by a goroutine of its own, which sends
// the backlog and then what the dispatcher queued meanwhile in pending, and goes
// live, under the lock, once nothing is pending: events stay in order.
type cacheWatcher struct {
	cacher         *Cacher
	id             int64
	key            string
	recursive      bool
	pred           storage.SelectionPredicate
	allowBookmarks bool
	// result holds up to Config.WatcherBuffer events: the dispatcher never waits
	// for the consumer, and the consumer sees how many events are ready (watch
	// responses write those out together).
	result chan watch.Event
	// stopCh is closed on termination; it ends the catching-up goroutine's waits.
	stopCh chan struct{}
	// done is closed once result is closed.
	done chan struct{}
	// stopCtx releases the context's hook that ends the watch.
	stopCtx func() bool

	// The fields below are guarded by the cacher's mu.
	// live is set once the backlog is out: from then on the dispatcher sends to
	// result, and whoever terminates the watcher closes it.
	live bool
	// pending holds the events dispatched while catching up.
	pending []*event
	// terminated is set when the watcher was told to end.
	terminated bool

	// lastRV is the revision the watcher's stream has reached; the catching-up
	// goroutine uses it, then (under the cacher's lock) the dispatcher.
	lastRV int64
}

func (w *cacheWatcher) ResultChan() <-chan watch.Event { return w.result }

// Stop unregisters the watcher and waits until result is closed.
func (w *cacheWatcher) Stop() {
	c := w.cacher
	c.mu.Lock()
	delete(c.watchers, w.id)
	w.terminate()
	c.mu.Unlock()
	<-w.done
}

// terminate ends the watcher: result is closed at once when it is live, else by
// the catching-up goroutine when it sees stopCh. The caller holds the cacher's lock
// and removes the watcher from the cacher's map, so that nothing is dispatched to it
// afterwards.
func (w *cacheWatcher) terminate() {
	if w.terminated {
		return
	}
	w.terminated = true
	w.pending = nil
	close(w.stopCh)
	w.stopCtx()
	if w.live {
		w.closeResult()
	}
}

func (w *cacheWatcher) closeResult() {
	close(w.result)
	close(w.done)
}

// deliverLocked hands ev to w; the caller holds the cacher's lock. It reports
// false when w cannot keep up (its buffer is full) and must be terminated; a
// bookmark that does not fit is simply skipped.
func (w *cacheWatcher) deliverLocked(ev *event) bool {
	bookmark := ev.typ == eventBookmark
	if !w.live {
		if len(w.pending) >= cap(w.result) {
			return bookmark
		}
		w.pending = append(w.pending, ev)
		return true
	}
	out, ok := w.convert(ev)
	if !ok {
		return true
	}
	select {
	case w.result <- out:
		return true
	default:
		return bookmark
	}
}

// catchUp sends the backlog, then the events dispatched meanwhile, until nothing is
// pending; then the watcher goes live and the goroutine ends. A terminated watcher
// stops at once, even with events left to send, and the goroutine closes result.
func (w *cacheWatcher) catchUp(backlog []*event) {
	mu := &w.cacher.mu
	for {
		for _, ev := range backlog {
			out, ok := w.convert(ev)
			if !ok {
				continue
			}
			select {
			case <-w.stopCh:
				w.closeResult()
				return
			default:
			}
			select {
			case w.result <- out:
			case <-w.stopCh:
				w.closeResult()
				return
			}
		}
		mu.Lock()
		if w.terminated {
			mu.Unlock()
			w.closeResult()
			return
		}
		backlog, w.pending = w.pending, nil
		if len(backlog) == 0 {
			w.live = true
			mu.Unlock()
			return
		}
		mu.Unlock()
	}
}

// convert turns a cache event into this watcher's event; ok is false when the
// watcher has nothing to send for it.
func (w *cacheWatcher) convert(ev *event) (out watch.Event, ok bool) {
	if ev.typ == eventBookmark || ev.typ == eventInitialEnd {
		initialEnd := ev.typ == eventInitialEnd
		if !initialEnd && (!w.allowBookmarks || ev.rv < w.lastRV) {
			return out, false
		}
		w.lastRV = max(w.lastRV, ev.rv)
		return watch.Event{Type: watch.Bookmark, Object: w.bookmark(ev.rv, initialEnd)}, true
	}
	if ev.rv > w.lastRV {
		w.lastRV = ev.rv
	}
	if w.recursive && !strings.HasPrefix(ev.key, w.key) || !w.recursive && ev.key != w.key {
		return out, false
	}
	var cur, prev bool
	if ev.typ != eventDeleted {
		cur = w.matches(ev.obj)
	}
	if ev.prev != nil {
		prev = w.matches(ev.prev)
	}
	switch {
	// Event objects are shared by all watchers and must not be modified by them.
	case ev.typ == eventDeleted && prev:
		return watch.Event{Type: watch.Deleted, Object: ev.obj}, true
	case ev.typ == eventDeleted:
		return out, false
	case cur && prev:
		return watch.Event{Type: watch.Modified, Object: ev.obj}, true
	case cur:
		return watch.Event{Type: watch.Added, Object: ev.obj}, true
	case prev:
		// Left the selection: its last selected state, at this event's revision.
		obj := ev.prev.DeepCopyObject()
		if err := setRV(obj, ev.rv); err != nil {
			return out, false
		}
		return watch.Event{Type: watch.Deleted, Object: obj}, true
	}
	return out, false
}

func (w *cacheWatcher) matches(obj runtime.Object) bool {
	ok, err := w.pred.Matches(obj)
	return err == nil && ok
}

func (w *cacheWatcher) bookmark(rv int64, initialEnd bool) runtime.Object {
	obj := w.cacher.cfg.NewFunc()
	if gvk := w.cacher.cfg.GroupVersionKind; !gvk.Empty() {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	if acc, err := meta.Accessor(obj); err == nil {
		acc.SetResourceVersion(strconv.FormatInt(rv, 10))
		if initialEnd {
			acc.SetAnnotations(map[string]string{InitialEventsEndAnnotation: "true"})
		}
	}
	return obj
}

// errWatcher delivers one ERROR event and ends, as upstream does for a watch that
// cannot start.
type errWatcher struct{ ch chan watch.Event }

func newErrWatcher(err error) watch.Interface {
	ch := make(chan watch.Event, 1)
	ch <- watch.Event{Type: watch.Error, Object: errorStatus(err)}
	close(ch)
	return &errWatcher{ch: ch}
}

func (e *errWatcher) ResultChan() <-chan watch.Event { return e.ch }
func (e *errWatcher) Stop()                          {}

// errorStatus is the Status an ERROR event carries for a storage error.
func errorStatus(err error) *metav1.Status {
	st := &metav1.Status{Status: metav1.StatusFailure, Message: err.Error(),
		Code: http.StatusInternalServerError, Reason: metav1.StatusReasonInternalError}
	if storage.HasCode(err, storage.CodeExpired) {
		st.Code, st.Reason = http.StatusGone, metav1.StatusReasonExpired
	}
	return st
}
