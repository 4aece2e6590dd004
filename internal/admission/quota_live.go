package admission

import (
	"sync"
	"time"
)

// quotaLiveTTL is how long a storage lookup that found no quota in a namespace is
// trusted, as upstream's live-lookup cache (30 s): while the watch cache has no
// quota there, creates in the namespace cost no consistent read of etcd.
const quotaLiveTTL = 30 * time.Second

// quotaLiveMax bounds the namespaces remembered; past it the oldest answers go.
const quotaLiveMax = 1024

// quotaLive remembers, per namespace, that a consistent read found no quota.
// Unlike upstream, a quota written through this server forgets the namespace's
// answer at once (before the write commits), so a create acknowledged after a
// quota's create is never waved through by an older "none"; what remains is the
// moment between a quota's commit and the watch cache seeing it, as upstream.
type quotaLive struct {
	mu sync.Mutex
	// gen is bumped by every quota write admitted in a namespace; an answer counts
	// only if its lookup started at the namespace's current generation.
	gen  map[string]uint64
	none map[string]quotaLiveEntry
}

type quotaLiveEntry struct {
	gen     uint64
	expires time.Time
}

// begin returns the generation a lookup of ns starts at.
func (l *quotaLive) begin(ns string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.gen[ns]
}

// hasNone reports whether a still valid lookup found no quota in ns.
func (l *quotaLive) hasNone(ns string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e, ok := l.none[ns]
	return ok && e.gen == l.gen[ns] && now.Before(e.expires)
}

// foundNone records that a lookup started at gen found no quota in ns.
func (l *quotaLive) foundNone(ns string, gen uint64, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if gen != l.gen[ns] {
		return // a quota was written meanwhile
	}
	if l.none == nil {
		l.none = map[string]quotaLiveEntry{}
	}
	if len(l.none) >= quotaLiveMax {
		for k, e := range l.none {
			if !now.Before(e.expires) {
				delete(l.none, k)
			}
		}
		if len(l.none) >= quotaLiveMax {
			clear(l.none)
		}
	}
	l.none[ns] = quotaLiveEntry{gen: gen, expires: now.Add(quotaLiveTTL)}
}

// written forgets ns's answer: a quota there is being created or changed.
func (l *quotaLive) written(ns string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.gen == nil {
		l.gen = map[string]uint64{}
	}
	l.gen[ns]++
	delete(l.none, ns)
}
