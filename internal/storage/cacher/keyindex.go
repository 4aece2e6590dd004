package cacher

import (
	"slices"
	"sort"
	"strings"
	"sync"
)

// keyIndex keeps the cache's keys in order, so that a list walks only the keys under
// its prefix, already sorted as etcd returns them, instead of every object of the
// resource. Writes only note what they add; the next list merges that in, so a burst
// of creates costs one merge rather than an insertion each.
//
// The cache's writer calls add and remove under the cache's write lock; lists call
// under at least its read lock, so concurrent lists meet only on mu.
type keyIndex struct {
	mu sync.Mutex
	// sorted is ascending and never modified in place: a list keeps using the slice
	// it got after mu is released. It may still hold deleted keys (stale of them).
	sorted []string
	// added holds the keys inserted since sorted was last merged, in no order.
	added []string
	stale int
}

// reset indexes keys, replacing everything before.
func (x *keyIndex) reset(keys []string) {
	slices.Sort(keys)
	x.mu.Lock()
	defer x.mu.Unlock()
	x.sorted, x.added, x.stale = keys, nil, 0
}

// add notes a key that was not in the cache.
func (x *keyIndex) add(key string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.added = append(x.added, key)
}

// remove notes that a key left the cache; lists skip it until the next merge.
func (x *keyIndex) remove() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stale++
}

// under returns the indexed keys with prefix, in order. It may return keys that are
// no longer present (the caller looks each one up), never the same key twice.
// present reports whether a key is still in the cache; it is used when merging.
func (x *keyIndex) under(prefix string, present func(string) bool) []string {
	x.mu.Lock()
	if len(x.added) > 0 || x.stale > len(x.sorted)/2 {
		x.sorted = merged(x.sorted, x.added, present)
		x.added, x.stale = nil, 0
	}
	sorted := x.sorted
	x.mu.Unlock()
	start := sort.SearchStrings(sorted, prefix)
	end := start
	for end < len(sorted) && strings.HasPrefix(sorted[end], prefix) {
		end++
	}
	return sorted[start:end]
}

// merged returns a new ascending slice of the present keys of sorted and added
// without duplicates (a key deleted and added again is in both).
func merged(sorted, added []string, present func(string) bool) []string {
	slices.Sort(added)
	out := make([]string, 0, len(sorted)+len(added))
	i, j := 0, 0
	for i < len(sorted) || j < len(added) {
		var k string
		switch {
		case j == len(added) || (i < len(sorted) && sorted[i] < added[j]):
			k = sorted[i]
			i++
		case i == len(sorted) || added[j] < sorted[i]:
			k = added[j]
			j++
		default: // equal
			k = sorted[i]
			i++
			j++
		}
		if (len(out) > 0 && out[len(out)-1] == k) || !present(k) {
			continue
		}
		out = append(out, k)
	}
	return out
}
