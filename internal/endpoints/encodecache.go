package endpoints

import (
	"bytes"
	"sync"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// encodeCacheSize bounds the encoded objects kept: enough for the events of a burst
// that many watchers are still writing out.
const encodeCacheSize = 4096

// encodeCache keeps the encoding of recent watch event objects, so that an event
// fanned out to a thousand watchers is encoded once per format rather than once per
// watcher. An object is named by its kind, uid, resourceVersion and whether it is
// the object of a DELETED event: every write has its own resourceVersion, and the
// one other object sent at a write's revision is the last state of an object that
// left a watcher's selection (DELETED) — so a name never stands for two contents.
type encodeCache struct {
	mu      sync.Mutex
	entries map[encodeKey][]byte
	order   []encodeKey // ring of keys, oldest at next
	next    int
}

type encodeKey struct {
	gvk             schema.GroupVersionKind
	uid, rv, format string
	deleted         bool
}

// encode returns obj, the object of an event (deleted for DELETED ones), encoded by
// ser (identified by format); objects without a uid or resourceVersion are encoded
// every time.
func (c *encodeCache) encode(obj runtime.Object, deleted bool, format string, ser runtime.Encoder) ([]byte, error) {
	acc, err := meta.Accessor(obj)
	if err != nil || acc.GetResourceVersion() == "" || acc.GetUID() == "" {
		return encodeNow(obj, ser)
	}
	key := encodeKey{gvk: obj.GetObjectKind().GroupVersionKind(), uid: string(acc.GetUID()), rv: acc.GetResourceVersion(), format: format, deleted: deleted}
	c.mu.Lock()
	data, ok := c.entries[key]
	c.mu.Unlock()
	if ok {
		return data, nil
	}
	if data, err = encodeNow(obj, ser); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[encodeKey][]byte, encodeCacheSize)
		c.order = make([]encodeKey, encodeCacheSize)
	}
	if _, ok := c.entries[key]; !ok {
		delete(c.entries, c.order[c.next])
		c.order[c.next] = key
		c.next = (c.next + 1) % encodeCacheSize
		c.entries[key] = data
	}
	return data, nil
}

func encodeNow(obj runtime.Object, ser runtime.Encoder) ([]byte, error) {
	var buf bytes.Buffer
	if err := ser.Encode(obj, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
