package cacher

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/metadata"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage"
)

// Defaults of Config's tunables.
const (
	DefaultEventBuffer      = 1000
	DefaultWatcherBuffer    = 100
	DefaultBookmarkInterval = time.Minute
	DefaultProgressInterval = 5 * time.Second
	// initialEventBuffer is the event buffer's size until it fills; it grows to
	// EventBuffer.
	initialEventBuffer = 16
	// progressRetryInterval is how often a read waiting for the cache to catch up
	// asks etcd for progress again.
	progressRetryInterval = 100 * time.Millisecond
	// freshnessTimeout bounds how long a read waits for the cache to catch up before
	// it is served by the store instead (or fails, for a watch).
	freshnessTimeout = 3 * time.Second
)

// Config describes the resource a Cacher caches.
type Config struct {
	// Storage is the store writes and uncacheable reads go to.
	Storage storage.Interface
	// Client is the etcd client the cache watches with; when nil, Storage must offer
	// it through a Client() method (etcd3.Store does).
	Client *clientv3.Client
	// Codec decodes stored values; when nil, Storage must offer it through Codec().
	Codec runtime.Codec
	// ResourcePrefix is the key prefix of the resource ("/registry/pods/").
	ResourcePrefix string
	// GroupVersionKind is stamped on bookmark objects.
	GroupVersionKind schema.GroupVersionKind
	NewFunc          func() runtime.Object
	NewListFunc      func() runtime.Object
	// GetAttrs is used for predicates that carry none.
	GetAttrs storage.AttrFunc
	// EventBuffer is how many recent events the cache keeps for watches from an
	// older resourceVersion.
	EventBuffer int
	// WatcherBuffer is how many events a watcher may lag behind before it is
	// terminated.
	WatcherBuffer int
	// BookmarkInterval is how often watchers that allow bookmarks get one.
	BookmarkInterval time.Duration
	// ProgressInterval is how often the cache asks etcd for a progress notification,
	// which moves its resourceVersion forward when the resource is idle.
	ProgressInterval time.Duration
	// OnList, when set, is told the cost of every list served from memory: objects
	// evaluated against the selector and objects returned (for metrics).
	OnList func(evaluated, returned int)
}

// Cacher is a storage.Interface serving reads and watches from memory.
type Cacher struct {
	cfg     Config
	client  *clientv3.Client
	codec   runtime.Codec
	prefix  string
	storage storage.Interface

	ctx    context.Context
	cancel context.CancelFunc
	// wg tracks the reflector and ticker goroutines.
	wg sync.WaitGroup
	// progressWanted asks the ticker goroutine for an immediate progress request.
	progressWanted chan struct{}
	// lastProgress is when etcd last sent a progress notification (unix nanos).
	lastProgress atomic.Int64
	terminated   atomic.Int64

	// mu guards every field below.
	mu sync.RWMutex
	// objects is the current state by key; its objects are shared and never mutated.
	objects map[string]runtime.Object
	// keys orders the keys of objects for lists.
	keys keyIndex
	// rv is the revision the cache has observed everything up to.
	rv int64
	// ready is set once the first list completed.
	ready bool
	// readyCh is closed when ready is first set.
	readyCh chan struct{}
	// rvChanged is closed and replaced whenever rv moves forward.
	rvChanged chan struct{}
	// events is the ring buffer of recent events, oldest first from head.
	events []*event
	head   int
	count  int
	// bufferStart is the revision after which every event is in the buffer.
	bufferStart int64
	watchers    map[int64]*cacheWatcher
	nextID      int64
	stopped     bool
}

var (
	_ storage.Interface    = (*Cacher)(nil)
	_ storage.SharedLister = (*Cacher)(nil)
)

// event is one change of the cache. Its objects are shared by all watchers.
type event struct {
	typ  eventType
	key  string
	obj  runtime.Object
	prev runtime.Object
	rv   int64
}

type eventType int

const (
	eventAdded eventType = iota
	eventModified
	eventDeleted
	// eventBookmark carries only rv.
	eventBookmark
	// eventInitialEnd ends a watch's initial events; it carries only rv.
	eventInitialEnd
)

// New starts a Cacher for one resource. Stop releases it.
func New(cfg Config) (*Cacher, error) {
	if cfg.Storage == nil || cfg.NewFunc == nil || cfg.NewListFunc == nil || cfg.ResourcePrefix == "" {
		return nil, errors.New("cacher: Storage, NewFunc, NewListFunc and ResourcePrefix are required")
	}
	if cfg.Client == nil {
		if s, ok := cfg.Storage.(interface{ Client() *clientv3.Client }); ok {
			cfg.Client = s.Client()
		}
	}
	if cfg.Codec == nil {
		if s, ok := cfg.Storage.(interface{ Codec() runtime.Codec }); ok {
			cfg.Codec = s.Codec()
		}
	}
	if cfg.Client == nil || cfg.Codec == nil {
		return nil, errors.New("cacher: no etcd client or codec: set Config.Client and Config.Codec")
	}
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = DefaultEventBuffer
	}
	if cfg.WatcherBuffer <= 0 {
		cfg.WatcherBuffer = DefaultWatcherBuffer
	}
	if cfg.BookmarkInterval <= 0 {
		cfg.BookmarkInterval = DefaultBookmarkInterval
	}
	if cfg.ProgressInterval <= 0 {
		cfg.ProgressInterval = DefaultProgressInterval
	}
	prefix := cfg.ResourcePrefix
	if !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &Cacher{
		cfg:            cfg,
		client:         cfg.Client,
		codec:          cfg.Codec,
		prefix:         prefix,
		storage:        cfg.Storage,
		ctx:            ctx,
		cancel:         cancel,
		progressWanted: make(chan struct{}, 1),
		objects:        map[string]runtime.Object{},
		readyCh:        make(chan struct{}),
		rvChanged:      make(chan struct{}),
		events:         make([]*event, min(initialEventBuffer, cfg.EventBuffer)),
		watchers:       map[int64]*cacheWatcher{},
	}
	// All caches share one etcd watch stream, apart from other watches, so that a
	// progress request reaches only cache watches.
	watchCtx := clientv3.WithRequireLeader(metadata.AppendToOutgoingContext(ctx, "kapi-watch-cache", "true"))
	c.wg.Add(2)
	go c.reflect(watchCtx)
	go c.tick(watchCtx)
	return c, nil
}

// Stop ends the etcd watch and every watcher, and waits for the cache's goroutines.
func (c *Cacher) Stop() {
	c.cancel()
	c.wg.Wait()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopped = true
	for id, w := range c.watchers {
		delete(c.watchers, id)
		w.terminate()
	}
}

// TerminatedWatchers counts watchers the cache ended on its own: too slow to keep up,
// or cut off by a relist after the etcd watch failed.
func (c *Cacher) TerminatedWatchers() int64 { return c.terminated.Load() }

// Ready reports whether the cache holds its first list, so that it serves reads
// and watches from memory.
func (c *Cacher) Ready() bool {
	select {
	case <-c.readyCh:
		return true
	default:
		return false
	}
}

// Len returns the number of objects in the cache.
func (c *Cacher) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.objects)
}

// Watchers returns the number of watchers the cache serves now.
func (c *Cacher) Watchers() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.watchers)
}

// ResourceVersion returns the revision the cache has caught up to.
func (c *Cacher) ResourceVersion() int64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.rv
}

func (c *Cacher) Create(ctx context.Context, key string, obj, out runtime.Object) error {
	return c.storage.Create(ctx, key, obj, out)
}

func (c *Cacher) GuaranteedUpdate(ctx context.Context, key string, dest runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc) error {
	return c.storage.GuaranteedUpdate(ctx, key, dest, ignoreNotFound, preconditions, tryUpdate)
}

func (c *Cacher) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validate storage.ValidateDeleteFunc) error {
	return c.storage.Delete(ctx, key, out, preconditions, validate)
}

func (c *Cacher) CurrentRevision(ctx context.Context) (uint64, error) {
	return c.storage.CurrentRevision(ctx)
}

// Get serves resourceVersion "0" from memory; everything else needs etcd.
func (c *Cacher) Get(ctx context.Context, key string, opts storage.GetOptions, out runtime.Object) error {
	if opts.ResourceVersion != "0" || !c.isReady() {
		return c.storage.Get(ctx, key, opts, out)
	}
	c.mu.RLock()
	obj, rv := c.objects[key], c.rv
	c.mu.RUnlock()
	if written := c.ownWrites(); obj == nil && written > rv && c.waitUntil(ctx, written) {
		c.mu.RLock()
		obj = c.objects[key]
		c.mu.RUnlock()
	}
	if obj == nil {
		if opts.IgnoreNotFound {
			return setInto(out, nil)
		}
		return storage.NewError(storage.CodeNotFound, key, "")
	}
	return setInto(out, obj)
}

// GetList serves unpaginated lists at "0" (once the cache has this server's own
// writes, ownWrites), at a minimum resourceVersion or consistent ("") from memory
// once the cache has caught up; paginated and exact lists,
// and lists the cache cannot catch up to in time, go to the store.
func (c *Cacher) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	objs, rv, served, err := c.list(ctx, key, opts)
	if err != nil {
		return err
	}
	if !served {
		return c.storage.GetList(ctx, key, opts, listObj)
	}
	items, err := itemsOf(listObj)
	if err != nil {
		return err
	}
	items.Set(reflect.MakeSlice(items.Type(), 0, len(objs)))
	for _, obj := range objs {
		// appendItem copies the struct; what it points to stays shared with the
		// cache, so lists are read-only for their users.
		appendItem(items, obj)
	}
	return setListRV(listObj, rv)
}

// ListShared lists like GetList but returns the items apart from listObj, which
// gets the list's metadata and no items. Items served from memory are the cache's
// own objects, not copies: they carry their apiVersion and kind and must not be
// modified. A LIST response that only encodes its items saves copying each one.
func (c *Cacher) ListShared(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) ([]runtime.Object, error) {
	objs, rv, served, err := c.list(ctx, key, opts)
	if err != nil {
		return nil, err
	}
	if served {
		return objs, setListRV(listObj, rv)
	}
	return storage.ListApart(ctx, c.storage, key, opts, listObj)
}

// list returns the objects under key that opts selects and the list's
// resourceVersion when the cache serves opts (served); otherwise the caller asks
// the store.
func (c *Cacher) list(ctx context.Context, key string, opts storage.ListOptions) (objs []runtime.Object, rv int64, served bool, err error) {
	if opts.Predicate.Limit > 0 || opts.Predicate.Continue != "" ||
		opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact || !c.isReady() {
		return nil, 0, false, nil
	}
	var minRV int64
	switch opts.ResourceVersion {
	case "0":
		minRV = c.ownWrites()
	case "":
		cur, err := c.storage.CurrentRevision(ctx)
		if err != nil {
			return nil, 0, false, err
		}
		minRV = int64(cur)
	default:
		if minRV, err = parseRV(opts.ResourceVersion); err != nil {
			return nil, 0, false, err
		}
	}
	if !c.waitUntil(ctx, minRV) {
		return nil, 0, false, nil
	}
	all, rv := c.snapshot(key, opts.Recursive)
	pred := c.withAttrs(opts.Predicate)
	everything := pred.Empty()
	if everything {
		objs = make([]runtime.Object, 0, len(all))
	}
	for _, e := range all {
		if everything {
			objs = append(objs, e.obj)
			continue
		}
		ok, err := pred.Matches(e.obj)
		if err != nil {
			return nil, 0, false, err
		}
		if ok {
			objs = append(objs, e.obj)
		}
	}
	if c.cfg.OnList != nil {
		c.cfg.OnList(len(all), len(objs))
	}
	return objs, rv, true, nil
}

func setListRV(listObj runtime.Object, rv int64) error {
	listAcc, err := meta.ListAccessor(listObj)
	if err != nil {
		return err
	}
	listAcc.SetResourceVersion(strconv.FormatInt(rv, 10))
	return nil
}

// withAttrs fills in the cache's attribute function for predicates without one.
func (c *Cacher) withAttrs(p storage.SelectionPredicate) storage.SelectionPredicate {
	if p.GetAttrs == nil {
		p.GetAttrs = c.cfg.GetAttrs
	}
	return p
}

// lastWriteReporter is a storage that knows the revision of its last write
// (etcd3.Store).
type lastWriteReporter interface{ LastWriteRevision() int64 }

// ownWrites is the revision of the last write the cache's storage acknowledged, 0
// when it keeps none. Reads at resourceVersion "0" (a Get that misses, a list) and
// watches that start with the state wait until the cache has seen it: such reads
// may be served stale, but missing what this server just wrote surprises its client
// (an admission plugin reading the node a pod is bound to, the default
// PriorityClass created a moment ago, an object deleted just before the watch),
// and avoiding it costs no request to etcd.
func (c *Cacher) ownWrites() int64 {
	if w, ok := c.storage.(lastWriteReporter); ok {
		return w.LastWriteRevision()
	}
	return 0
}

func (c *Cacher) isReady() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.ready
}

// waitUntil waits until the cache has observed rv, asking etcd for progress, for at
// most freshnessTimeout. It reports whether the cache got there.
func (c *Cacher) waitUntil(ctx context.Context, rv int64) bool {
	timer := time.NewTimer(freshnessTimeout)
	defer timer.Stop()
	// etcd ignores a progress request while any watch of the shared stream is
	// still catching up (caches starting at kapi's start), so the request is
	// repeated until the cache moves: a single dropped request held a read for the
	// whole freshnessTimeout, and kapi's start with it.
	retry := time.NewTicker(progressRetryInterval)
	defer retry.Stop()
	for {
		c.mu.RLock()
		cur, changed, ready := c.rv, c.rvChanged, c.ready
		c.mu.RUnlock()
		if ready && cur >= rv {
			return true
		}
		select {
		case c.progressWanted <- struct{}{}:
		default:
		}
		select {
		case <-changed:
		case <-retry.C:
		case <-timer.C:
			return false
		case <-ctx.Done():
			return false
		case <-c.ctx.Done():
			return false
		}
	}
}

// keyed is one cached object and its key.
type keyed struct {
	key string
	obj runtime.Object
}

// snapshot returns the cached objects under key, sorted by key as etcd lists them,
// and the cache's revision.
func (c *Cacher) snapshot(key string, recursive bool) ([]keyed, int64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.snapshotLocked(key, recursive), c.rv
}

func (c *Cacher) snapshotLocked(key string, recursive bool) []keyed {
	if !recursive {
		if obj, ok := c.objects[key]; ok {
			return []keyed{{key, obj}}
		}
		return nil
	}
	if !strings.HasSuffix(key, "/") {
		key += "/"
	}
	keys := c.keys.under(key, c.hasKeyLocked)
	out := make([]keyed, 0, len(keys))
	for _, k := range keys {
		if obj, ok := c.objects[k]; ok {
			out = append(out, keyed{k, obj})
		}
	}
	return out
}

// hasKeyLocked reports whether key is in the cache; c.mu is held.
func (c *Cacher) hasKeyLocked(key string) bool {
	_, ok := c.objects[key]
	return ok
}

// setInto copies obj (or the zero value, for nil) into out.
func setInto(out, obj runtime.Object) error {
	dst := reflect.ValueOf(out)
	if dst.Kind() != reflect.Pointer || dst.IsNil() {
		return fmt.Errorf("cacher: out must be a non-nil pointer, got %T", out)
	}
	if obj == nil {
		dst.Elem().Set(reflect.Zero(dst.Elem().Type()))
		return nil
	}
	src := reflect.ValueOf(obj.DeepCopyObject())
	if src.Type() != dst.Type() {
		return fmt.Errorf("cacher: cannot copy %T into %T", obj, out)
	}
	dst.Elem().Set(src.Elem())
	return nil
}

// itemsOf returns the settable Items slice of a list object.
func itemsOf(listObj runtime.Object) (reflect.Value, error) {
	ptr, err := meta.GetItemsPtr(listObj)
	if err != nil {
		return reflect.Value{}, err
	}
	return reflect.ValueOf(ptr).Elem(), nil
}

// appendItem appends obj to items; like the etcd3 store's lists, value items carry no
// apiVersion and kind.
func appendItem(items reflect.Value, obj runtime.Object) {
	v := reflect.ValueOf(obj)
	if items.Type().Elem().Kind() == reflect.Pointer {
		items.Set(reflect.Append(items, v))
		return
	}
	items.Set(reflect.Append(items, v.Elem()))
	if tm := items.Index(items.Len() - 1).FieldByName("TypeMeta"); tm.IsValid() && tm.CanSet() {
		tm.Set(reflect.Zero(tm.Type()))
	}
}

func parseRV(rv string) (int64, error) {
	n, err := strconv.ParseInt(rv, 10, 64)
	if err != nil || n < 0 {
		return 0, storage.NewError(storage.CodeInvalidObj, "", "invalid resource version: %s", rv)
	}
	return n, nil
}
