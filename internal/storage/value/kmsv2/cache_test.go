package kmsv2

import (
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

func TestDEKCache(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := newDEKCache(func() time.Time { return now })
	a := dekCacheKey(DEKSourceHKDFSeed, []byte("dek-a"), "key-1", map[string][]byte{"x.example.com": []byte("1")})
	b := dekCacheKey(DEKSourceHKDFSeed, []byte("dek-b"), "key-1", nil)
	steps := []struct {
		name    string
		advance time.Duration
		set     *[32]byte
		wantA   bool
		wantB   bool
	}{
		{name: "a cached", set: &a, wantA: true},
		{name: "b cached", advance: 12 * time.Hour, set: &b, wantA: true, wantB: true},
		{name: "expired a still answers before a sweep", advance: 13 * time.Hour, wantA: true, wantB: true},
		{name: "a sweep drops expired a", advance: time.Hour, set: &b, wantB: true},
	}
	for _, s := range steps {
		now = now.Add(s.advance)
		if s.set != nil {
			c.set(*s.set, value.Identity())
		}
		if got := c.get(a) != nil; got != s.wantA {
			t.Errorf("%s: a cached = %v, want %v", s.name, got, s.wantA)
		}
		if got := c.get(b) != nil; got != s.wantB {
			t.Errorf("%s: b cached = %v, want %v", s.name, got, s.wantB)
		}
	}
}

func TestDEKCacheKeyIsUnambiguous(t *testing.T) {
	keys := map[[32]byte]string{}
	for name, k := range map[string][32]byte{
		"plain":              dekCacheKey(DEKSourceHKDFSeed, []byte("ab"), "c", nil),
		"shifted boundary":   dekCacheKey(DEKSourceHKDFSeed, []byte("a"), "bc", nil),
		"other type":         dekCacheKey(DEKSourceAESGCMKey, []byte("ab"), "c", nil),
		"annotation":         dekCacheKey(DEKSourceHKDFSeed, []byte("ab"), "c", map[string][]byte{"a.b": nil}),
		"annotation shifted": dekCacheKey(DEKSourceHKDFSeed, []byte("ab"), "c", map[string][]byte{"a.": []byte("b")}),
	} {
		if other, dup := keys[k]; dup {
			t.Errorf("%s and %s share a cache key", name, other)
		}
		keys[k] = name
	}
}
