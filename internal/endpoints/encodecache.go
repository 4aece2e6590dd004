package endpoints

import (
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

// encodeCacheSize bounds the encoded events kept: enough for the events of a burst
// that many watchers are still writing out.
const encodeCacheSize = 4096

// encodeCache keeps recent watch events as their watchers' streams carry them
// (framed metav1.WatchEvent bytes), so that an event fanned out to a thousand
// watchers is converted and encoded once per format rather than once per watcher,
// and each watcher only copies bytes. An event is named by its served kind, its
// object's uid and resourceVersion, its type and the format: every write has its own
// resourceVersion, and the one other object sent at a write's revision is the last
// state of an object that left a watcher's selection (DELETED) — so a name never
// stands for two contents.
type encodeCache struct {
	// mu guards entries, order and next.
	mu      sync.Mutex
	entries map[encodeKey]encodedEvent
	order   []encodeKey // ring of keys, oldest at next
	next    int
}

type encodeKey struct {
	gvk             schema.GroupVersionKind
	uid, rv, format string
	typ             watch.EventType
}

// encodedEvent is one event ready for the stream.
type encodedEvent struct {
	// frame is the framed metav1.WatchEvent; shared, never modified.
	frame []byte
	// objectSize is the size of the encoded object inside it (for metrics).
	objectSize int
}

func (c *encodeCache) get(key encodeKey) (encodedEvent, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ev, ok := c.entries[key]
	return ev, ok
}

// put keeps ev under key, forgetting the oldest entry when full; an entry already
// there (another watcher encoded the same event meanwhile) stays.
func (c *encodeCache) put(key encodeKey, ev encodedEvent) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		// Grown as events come rather than sized for the bound up front: an idle
		// server's few watch events would otherwise hold some 1.2 MB of empty slots.
		c.entries = map[encodeKey]encodedEvent{}
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) < encodeCacheSize {
		c.order = append(c.order, key)
	} else {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % encodeCacheSize
	}
	c.entries[key] = ev
}
