package endpoints

import (
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
)

func TestEncodeCache(t *testing.T) {
	cmGVK := schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"}
	key := func(rv string, typ watch.EventType) encodeKey {
		return encodeKey{gvk: cmGVK, uid: "u1", rv: rv, format: "application/json", typ: typ}
	}
	var c encodeCache
	c.put(key("5", watch.Added), encodedEvent{frame: []byte("added-5"), objectSize: 1})
	c.put(key("5", watch.Added), encodedEvent{frame: []byte("second-put"), objectSize: 2})
	cases := []struct {
		name   string
		key    encodeKey
		want   string
		wantOK bool
	}{
		{"kept", key("5", watch.Added), "added-5", true},
		{"the first put of a name wins", key("5", watch.Added), "added-5", true},
		{"another type at the same revision is its own entry", key("5", watch.Modified), "", false},
		{"another revision is its own entry", key("6", watch.Added), "", false},
		{"another format is its own entry", encodeKey{gvk: cmGVK, uid: "u1", rv: "5", format: "application/vnd.kubernetes.protobuf", typ: watch.Added}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := c.get(tc.key)
			if ok != tc.wantOK || string(got.frame) != tc.want {
				t.Errorf("get = %q, %v; want %q, %v", got.frame, ok, tc.want, tc.wantOK)
			}
		})
	}
	for i := range encodeCacheSize - 1 { // exactly full: nothing forgotten yet
		c.put(key(strconv.Itoa(100+i), watch.Added), encodedEvent{frame: []byte("x")})
	}
	if _, ok := c.get(key("5", watch.Added)); !ok || len(c.entries) != encodeCacheSize {
		t.Fatalf("a full cache holds %d entries (first kept: %v), want %d with the first", len(c.entries), ok, encodeCacheSize)
	}
	for i := range encodeCacheSize + 10 {
		c.put(key(strconv.Itoa(100+i), watch.Added), encodedEvent{frame: []byte("x")})
	}
	if len(c.entries) != encodeCacheSize {
		t.Errorf("cache holds %d entries, want the bound %d", len(c.entries), encodeCacheSize)
	}
	if _, ok := c.get(key("5", watch.Added)); ok {
		t.Errorf("the oldest entry is still kept past the bound")
	}
}
