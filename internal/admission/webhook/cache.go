package webhook

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Source streams the objects of one resource: the current ones first, then changes
// (registry.Store satisfies it).
type Source interface {
	Watch(ctx context.Context, ns string, opts *metav1.ListOptions) (watch.Interface, error)
}

// Cache mirrors the objects of one cluster-scoped resource in memory, so that
// admission reads them without a storage round trip; changes apply as soon as the
// watch delivers them. Objects in it are shared and read-only.
type Cache struct {
	// mu guards objs.
	mu   sync.Mutex
	objs map[string]runtime.Object
	// snapshot is objs sorted by name, rebuilt after every change.
	snapshot atomic.Pointer[[]runtime.Object]
	// version counts changes so that users can rebuild derived state lazily.
	version atomic.Uint64
	synced  chan struct{}
	once    sync.Once
}

// NewCache returns an empty cache; Run fills it.
func NewCache() *Cache {
	c := &Cache{objs: map[string]runtime.Object{}, synced: make(chan struct{})}
	c.snapshot.Store(&[]runtime.Object{})
	return c
}

// Run follows src until ctx ends, re-establishing a watch that closes. A nil src
// has no objects: the cache is synced at once.
func (c *Cache) Run(ctx context.Context, src Source) {
	if src == nil {
		c.once.Do(func() { close(c.synced) })
		return
	}
	go func() {
		for ctx.Err() == nil {
			if err := c.watchOnce(ctx, src); err != nil && ctx.Err() == nil {
				slog.Warn("admission: watch failed, retrying", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
		}
	}()
}

// WaitForSync blocks until the initial objects arrived or ctx ends.
func (c *Cache) WaitForSync(ctx context.Context) error {
	select {
	case <-c.synced:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// readyTimeout is how long a request waits for the first sync, as upstream's
// WaitForReady.
const readyTimeout = 10 * time.Second

// WaitReady waits (at most readyTimeout, or until ctx ends) for the initial
// objects and reports whether they arrived.
func (c *Cache) WaitReady(ctx context.Context) bool {
	if c.Synced() {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	return c.WaitForSync(ctx) == nil
}

// Synced reports whether the initial objects arrived.
func (c *Cache) Synced() bool {
	select {
	case <-c.synced:
		return true
	default:
		return false
	}
}

// List returns the objects sorted by name; callers must not modify them.
func (c *Cache) List() []runtime.Object { return *c.snapshot.Load() }

// Version changes whenever the content does.
func (c *Cache) Version() uint64 { return c.version.Load() }

func (c *Cache) watchOnce(ctx context.Context, src Source) error {
	yes := true
	w, err := src.Watch(ctx, "", &metav1.ListOptions{
		SendInitialEvents:    &yes,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
		AllowWatchBookmarks:  true,
	})
	if err != nil {
		return err
	}
	defer w.Stop()
	initial := map[string]runtime.Object{}
	inInitial := true
	for ev := range w.ResultChan() {
		m, ok := ev.Object.(metav1.Object)
		if !ok {
			continue
		}
		switch ev.Type {
		case watch.Added, watch.Modified:
			if inInitial {
				initial[m.GetName()] = ev.Object
				continue
			}
			c.apply(func(objs map[string]runtime.Object) { objs[m.GetName()] = ev.Object })
		case watch.Deleted:
			if inInitial {
				delete(initial, m.GetName())
				continue
			}
			c.apply(func(objs map[string]runtime.Object) { delete(objs, m.GetName()) })
		case watch.Bookmark:
			if inInitial && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
				inInitial = false
				c.apply(func(objs map[string]runtime.Object) {
					clear(objs)
					for k, v := range initial {
						objs[k] = v
					}
				})
				c.once.Do(func() { close(c.synced) })
			}
		case watch.Error:
			return nil
		}
	}
	return nil
}

// apply changes objs under the lock and publishes a new snapshot.
func (c *Cache) apply(change func(map[string]runtime.Object)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	change(c.objs)
	names := make([]string, 0, len(c.objs))
	for n := range c.objs {
		names = append(names, n)
	}
	sort.Strings(names)
	list := make([]runtime.Object, 0, len(names))
	for _, n := range names {
		list = append(list, c.objs[n])
	}
	c.snapshot.Store(&list)
	c.version.Add(1)
}
