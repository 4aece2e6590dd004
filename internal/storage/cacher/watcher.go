package cacher

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"sync"

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
		input:          make(chan *event, c.cfg.WatcherBuffer),
		result:         make(chan watch.Event),
		stopCh:         make(chan struct{}),
		done:           make(chan struct{}),
	}
	var backlog []*event
	c.mu.Lock()
	if c.stopped {
		c.mu.Unlock()
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
			return newErrWatcher(expired(key, rv, start)), nil
		}
		backlog = evs
		w.lastRV = rv
	}
	c.nextID++
	w.id = c.nextID
	c.watchers[w.id] = w
	c.mu.Unlock()

	go w.run(ctx, backlog)
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

// cacheWatcher is one watch served from the cache. The cacher's dispatcher writes to
// input under the cacher's lock; the watcher's own goroutine filters, copies and
// delivers to result, and closes result when it ends.
type cacheWatcher struct {
	cacher         *Cacher
	id             int64
	key            string
	recursive      bool
	pred           storage.SelectionPredicate
	allowBookmarks bool
	input          chan *event
	result         chan watch.Event
	// lastRV is the revision the watcher's stream has reached; only run uses it
	// after registration.
	lastRV   int64
	stopOnce sync.Once
	stopCh   chan struct{}
	done     chan struct{}
}

func (w *cacheWatcher) ResultChan() <-chan watch.Event { return w.result }

// Stop unregisters the watcher and waits for its goroutine to end.
func (w *cacheWatcher) Stop() {
	w.cacher.removeWatcher(w.id)
	w.terminate()
	<-w.done
}

func (c *Cacher) removeWatcher(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.watchers, id)
}

// terminate ends the watcher's goroutine, which closes result. Callers remove the
// watcher from the cacher's map first so that nothing is sent to input afterwards.
func (w *cacheWatcher) terminate() { w.stopOnce.Do(func() { close(w.stopCh) }) }

func (w *cacheWatcher) run(ctx context.Context, backlog []*event) {
	defer close(w.done)
	defer close(w.result)
	// The watch ends with the request that opened it.
	stop := context.AfterFunc(ctx, func() {
		w.cacher.removeWatcher(w.id)
		w.terminate()
	})
	defer stop()
	for _, ev := range backlog {
		if !w.process(ev) {
			return
		}
	}
	for {
		// A terminated watcher stops at once, even with events still buffered.
		select {
		case <-w.stopCh:
			return
		default:
		}
		select {
		case <-w.stopCh:
			return
		case ev := <-w.input:
			if !w.process(ev) {
				return
			}
		}
	}
}

// process turns a cache event into this watcher's event, if any, and delivers it.
// It reports false when the watcher was stopped meanwhile.
func (w *cacheWatcher) process(ev *event) bool {
	if ev.typ == eventBookmark || ev.typ == eventInitialEnd {
		initialEnd := ev.typ == eventInitialEnd
		if !initialEnd && (!w.allowBookmarks || ev.rv < w.lastRV) {
			return true
		}
		w.lastRV = max(w.lastRV, ev.rv)
		return w.send(watch.Event{Type: watch.Bookmark, Object: w.bookmark(ev.rv, initialEnd)})
	}
	if ev.rv > w.lastRV {
		w.lastRV = ev.rv
	}
	if w.recursive && !strings.HasPrefix(ev.key, w.key) || !w.recursive && ev.key != w.key {
		return true
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
		return w.send(watch.Event{Type: watch.Deleted, Object: ev.obj})
	case ev.typ == eventDeleted:
		return true
	case cur && prev:
		return w.send(watch.Event{Type: watch.Modified, Object: ev.obj})
	case cur:
		return w.send(watch.Event{Type: watch.Added, Object: ev.obj})
	case prev:
		// Left the selection: its last selected state, at this event's revision.
		obj := ev.prev.DeepCopyObject()
		if err := setRV(obj, ev.rv); err != nil {
			return true
		}
		return w.send(watch.Event{Type: watch.Deleted, Object: obj})
	}
	return true
}

func (w *cacheWatcher) matches(obj runtime.Object) bool {
	ok, err := w.pred.Matches(obj)
	return err == nil && ok
}

func (w *cacheWatcher) send(ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-w.stopCh:
		return false
	}
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
