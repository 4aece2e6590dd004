package kmsv2

import (
	"crypto/sha256"
	"encoding/binary"
	"sort"
	"sync"
	"time"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

const (
	// dekCacheTTL is how long a DEK stays cached after its last use for writing or
	// its decryption by the plugin.
	dekCacheTTL = 24 * time.Hour
	// dekCacheSweep is how often expired DEKs are dropped.
	dekCacheSweep = time.Hour
)

// dekCache maps a DEK's identity (source type, encrypted source, key id,
// annotations) to the transformer that DEK yields, so that the plugin is asked to
// decrypt each DEK about once a day at most. Keys are SHA-256 digests: memory stays
// small whatever the plugin returns. A DEK's transformer never changes, so an
// expired entry still answers until the next sweep drops it.
type dekCache struct {
	now func() time.Time
	// mu guards entries and nextSweep.
	mu        sync.Mutex
	entries   map[[32]byte]dekEntry
	nextSweep time.Time
}

type dekEntry struct {
	t       value.Transformer
	expires time.Time
}

func newDEKCache(now func() time.Time) *dekCache {
	return &dekCache{now: now, entries: map[[32]byte]dekEntry{}}
}

func (c *dekCache) get(key [32]byte) value.Transformer {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key].t
}

// set caches t under key for another dekCacheTTL. It is called on every write, so
// it costs a map update, not an allocation.
func (c *dekCache) set(key [32]byte, t value.Transformer) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.entries[key] = dekEntry{t: t, expires: now.Add(dekCacheTTL)}
	if now.After(c.nextSweep) {
		for k, e := range c.entries {
			if now.After(e.expires) {
				delete(c.entries, k)
			}
		}
		c.nextSweep = now.Add(dekCacheSweep)
	}
}

// dekCacheKey digests what identifies a DEK, each part length-prefixed so that no
// two different inputs share an encoding.
func dekCacheKey(typ DEKSourceType, encryptedDEKSource []byte, keyID string, annotations map[string][]byte) [32]byte {
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(typ))
	b = appendPrefixed(b, encryptedDEKSource)
	b = appendPrefixed(b, []byte(keyID))
	keys := make([]string, 0, len(annotations))
	for k := range annotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.BigEndian.AppendUint32(b, uint32(len(keys)))
	for _, k := range keys {
		b = appendPrefixed(b, []byte(k))
		b = appendPrefixed(b, annotations[k])
	}
	return sha256.Sum256(b)
}

func appendPrefixed(b, v []byte) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(len(v)))
	return append(b, v...)
}
