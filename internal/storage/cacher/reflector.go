package cacher

import (
	"context"
	"slices"
	"strconv"
	"time"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// relistBackoff is the pause between a failed list or watch and the next attempt.
const relistBackoff = time.Second

// reflect keeps the cache in sync with etcd until the cacher stops: list, then watch
// from the list's revision; on any watch failure (compaction included) list again.
// It is the only writer of objects, rv and the event buffer.
func (c *Cacher) reflect(ctx context.Context) {
	defer c.wg.Done()
	for ctx.Err() == nil {
		_ = c.listAndWatch(ctx)
		select {
		case <-ctx.Done():
		case <-time.After(relistBackoff):
		}
	}
}

func (c *Cacher) listAndWatch(ctx context.Context) error {
	resp, err := c.client.Get(ctx, c.prefix, clientv3.WithPrefix())
	if err != nil {
		return err
	}
	objects := make(map[string]runtime.Object, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		obj, err := c.decode(kv.Value, kv.ModRevision)
		if err != nil {
			return err
		}
		objects[string(kv.Key)] = obj
	}
	c.replace(objects, resp.Header.Revision)

	wch := c.client.Watch(ctx, c.prefix, clientv3.WithPrefix(), clientv3.WithRev(resp.Header.Revision+1),
		clientv3.WithProgressNotify())
	for wresp := range wch {
		if err := wresp.Err(); err != nil {
			return err
		}
		if wresp.IsProgressNotify() {
			c.lastProgress.Store(time.Now().UnixNano())
			c.advance(wresp.Header.Revision)
			continue
		}
		if err := c.apply(wresp.Events); err != nil {
			return err
		}
	}
	return ctx.Err()
}

// decode turns a stored value into an object at rev.
func (c *Cacher) decode(data []byte, rev int64) (runtime.Object, error) {
	obj := c.cfg.NewFunc()
	if _, _, err := c.codec.Decode(data, nil, obj); err != nil {
		return nil, err
	}
	// Cached objects are shared read-only by every reader; their kind is set once
	// here so that no reader has to write it.
	if gvk := c.cfg.GroupVersionKind; !gvk.Empty() {
		obj.GetObjectKind().SetGroupVersionKind(gvk)
	}
	if err := setRV(obj, rev); err != nil {
		return nil, err
	}
	return obj, nil
}

func setRV(obj runtime.Object, rev int64) error {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return err
	}
	acc.SetResourceVersion(strconv.FormatInt(rev, 10))
	return nil
}

// replace installs a fresh list. Watchers of an earlier list missed events in
// between, so they are terminated and will re-establish their watches.
func (c *Cacher) replace(objects map[string]runtime.Object, rev int64) {
	keys := make([]string, 0, len(objects))
	for k := range objects {
		keys = append(keys, k)
	}
	slices.Sort(keys) // before the lock
	c.mu.Lock()
	defer c.mu.Unlock()
	c.objects = objects
	c.keys.reset(keys)
	c.head, c.count = 0, 0
	clear(c.events)
	c.bufferStart = rev
	for id, w := range c.watchers {
		delete(c.watchers, id)
		w.terminate()
		c.terminated.Add(1)
	}
	c.setRVLocked(rev)
	if !c.ready {
		c.ready = true
		close(c.readyCh)
	}
}

// advance moves rv forward after a progress notification: etcd guarantees that
// every event up to its revision was delivered.
func (c *Cacher) advance(rev int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if rev > c.rv {
		c.setRVLocked(rev)
	}
}

func (c *Cacher) setRVLocked(rev int64) {
	c.rv = rev
	close(c.rvChanged)
	c.rvChanged = make(chan struct{})
}

// apply decodes a batch of etcd events, updates the state and hands each event to
// the watchers. Decoding happens outside the lock.
func (c *Cacher) apply(evs []*clientv3.Event) error {
	decoded := make([]runtime.Object, len(evs))
	for i, e := range evs {
		if e.Type == mvccpb.PUT {
			obj, err := c.decode(e.Kv.Value, e.Kv.ModRevision)
			if err != nil {
				return err
			}
			decoded[i] = obj
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, e := range evs {
		key, rev := string(e.Kv.Key), e.Kv.ModRevision
		prev := c.objects[key]
		ev := &event{key: key, prev: prev, rv: rev, obj: decoded[i]}
		switch {
		case e.Type == mvccpb.DELETE:
			if prev == nil {
				continue
			}
			// A deleted object is reported in its last state at the deletion's revision.
			ev.typ, ev.obj = eventDeleted, prev.DeepCopyObject()
			if err := setRV(ev.obj, rev); err != nil {
				return err
			}
			delete(c.objects, key)
			c.keys.remove(c.hasKeyLocked)
		case prev == nil:
			ev.typ = eventAdded
			c.objects[key] = ev.obj
			c.keys.add(key, c.hasKeyLocked)
		default:
			ev.typ = eventModified
			c.objects[key] = ev.obj
		}
		c.pushLocked(ev)
		c.dispatchLocked(ev)
	}
	if n := len(evs); n > 0 && evs[n-1].Kv.ModRevision > c.rv {
		c.setRVLocked(evs[n-1].Kv.ModRevision)
	}
	return nil
}

// pushLocked appends ev to the ring buffer, forgetting the oldest event when full.
func (c *Cacher) pushLocked(ev *event) {
	if c.count == len(c.events) && len(c.events) < c.cfg.EventBuffer {
		c.growLocked()
	}
	size := len(c.events)
	if c.count == size {
		c.bufferStart = c.events[c.head].rv
		c.events[c.head] = ev
		c.head = (c.head + 1) % size
		return
	}
	c.events[(c.head+c.count)%size] = ev
	c.count++
}

// growLocked doubles the ring buffer, up to Config.EventBuffer. It starts small
// because most resources see few events: a full buffer for each of the sixty-odd
// resources was half a megabyte of an idle server's heap.
func (c *Cacher) growLocked() {
	grown := make([]*event, min(max(2*len(c.events), initialEventBuffer), c.cfg.EventBuffer))
	for i := range c.count {
		grown[i] = c.events[(c.head+i)%len(c.events)]
	}
	c.events, c.head = grown, 0
}

// eventsAfterLocked returns the buffered events newer than rv; ok is false when
// some of them were already forgotten.
func (c *Cacher) eventsAfterLocked(rv int64) (evs []*event, ok bool) {
	if rv < c.bufferStart {
		return nil, false
	}
	size := len(c.events)
	for i := 0; i < c.count; i++ {
		if e := c.events[(c.head+i)%size]; e.rv > rv {
			evs = append(evs, e)
		}
	}
	return evs, true
}

// dispatchLocked hands ev to every watcher without blocking; a watcher whose buffer
// is full is terminated so that it cannot hold the others back.
func (c *Cacher) dispatchLocked(ev *event) {
	for id, w := range c.watchers {
		if !w.deliverLocked(ev) {
			delete(c.watchers, id)
			w.terminate()
			c.terminated.Add(1)
		}
	}
}

// tick asks etcd for progress notifications, periodically and whenever a reader
// waits for freshness, and sends periodic bookmarks. It stops with the cacher.
//
// The caches share one etcd watch stream, and a progress request on it notifies
// every watch of the stream. So the periodic request is skipped when a
// notification came within half the interval anyway: a cache or two ask for all,
// instead of each of some sixty caches making etcd notify all sixty every five
// seconds, which was a good part of an idle server's CPU and allocations.
func (c *Cacher) tick(ctx context.Context) {
	defer c.wg.Done()
	progress := time.NewTicker(c.cfg.ProgressInterval)
	defer progress.Stop()
	bookmarks := time.NewTicker(c.cfg.BookmarkInterval)
	defer bookmarks.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-progress.C:
			if time.Since(time.Unix(0, c.lastProgress.Load())) < c.cfg.ProgressInterval/2 {
				continue
			}
		case <-c.progressWanted:
		case <-bookmarks.C:
			c.sendBookmarks()
			continue
		}
		// Errors are harmless here: the next tick or waiter asks again.
		_ = c.client.RequestProgress(ctx)
	}
}

// sendBookmarks offers the current revision to every watcher that allows bookmarks;
// a full watcher simply skips this one.
func (c *Cacher) sendBookmarks() {
	// The write lock: delivering changes the watchers' state.
	c.mu.Lock()
	defer c.mu.Unlock()
	ev := &event{typ: eventBookmark, rv: c.rv}
	for _, w := range c.watchers {
		if w.allowBookmarks {
			w.deliverLocked(ev) // never fails for a bookmark
		}
	}
}
