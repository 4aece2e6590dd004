package cacher

import (
	"slices"
	"strings"
	"sync"
)

// keyIndex keeps the cache's keys in order, so that a list walks only the keys under
// its prefix, already sorted as etcd returns them, instead of every object of the
// resource. Writes only note what they add; the next list merges that in, so a burst
// of creates costs one merge rather than an insertion each. A resource that is
// written but never listed (events) is tidied by its writes instead, once the keys
// waiting or deleted outnumber half the index: the index never holds much more
// than twice the keys present.
//
// The cache's writer calls add and remove under the cache's write lock; lists call
// under at least its read lock, so concurrent lists meet only on mu. present
// reports whether a key is in the cache (the caller holds the cache's lock).
type keyIndex struct {
	mu sync.Mutex
	// sorted is ascending and never modified in place: a list keeps using the slice
	// it got after mu is released. It may still hold deleted keys (stale of them).
	sorted []string
	// added holds the keys inserted since sorted was last merged, in no order.
	added []string
	stale int
}

// keySlack is how many keys may wait to be merged, or deleted keys stay indexed,
// beyond half the index before a write tidies it.
const keySlack = 1024

// reset indexes keys, sorted, replacing everything before. The caller sorts them
// before taking the cache's lock.
func (x *keyIndex) reset(keys []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.sorted, x.added, x.stale = keys, nil, 0
}

// add notes a key that was not in the cache.
func (x *keyIndex) add(key string, present func(string) bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.added = append(x.added, key)
	if len(x.added) > len(x.sorted)/2+keySlack {
		x.tidyLocked(present)
	}
}

// remove notes that a key left the cache; lists skip it until it is dropped.
func (x *keyIndex) remove(present func(string) bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.stale++
	if x.stale > len(x.sorted)/2+keySlack {
		x.tidyLocked(present)
	}
}

// tidyLocked merges the added keys in and, when many keys were removed, drops them.
func (x *keyIndex) tidyLocked(present func(string) bool) {
	if len(x.added) > 0 {
		x.sorted = merged(x.sorted, x.added)
		x.added = nil
	}
	if x.stale > len(x.sorted)/2 {
		x.sorted = compacted(x.sorted, present)
		x.stale = 0
	}
}

// under returns the indexed keys with prefix, in order. It may return keys that are
// no longer present (the caller looks each one up), never the same key twice.
func (x *keyIndex) under(prefix string, present func(string) bool) []string {
	x.mu.Lock()
	x.tidyLocked(present)
	sorted := x.sorted
	x.mu.Unlock()
	start, _ := slices.BinarySearch(sorted, prefix)
	end := start
	for end < len(sorted) && strings.HasPrefix(sorted[end], prefix) {
		end++
	}
	return sorted[start:end]
}

// merged returns a new ascending slice of the keys of sorted and added, each once
// (a key deleted and added again is in both). It costs a copy of sorted and a
// binary search per added key, so a list after a few creates stays cheap.
func merged(sorted, added []string) []string {
	slices.Sort(added)
	added = slices.Compact(added)
	out := make([]string, 0, len(sorted)+len(added))
	rest := sorted
	for _, k := range added {
		i, found := slices.BinarySearch(rest, k)
		out = append(out, rest[:i]...)
		rest = rest[i:]
		if !found {
			out = append(out, k)
		}
	}
	return append(out, rest...)
}

// compacted returns a new slice of the keys of sorted that are present.
func compacted(sorted []string, present func(string) bool) []string {
	out := make([]string, 0, len(sorted)/2)
	for _, k := range sorted {
		if present(k) {
			out = append(out, k)
		}
	}
	return out
}
