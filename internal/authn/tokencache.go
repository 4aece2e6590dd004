package authn

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// TokenCache remembers the answers of a slow token authenticator (a webhook) for a
// while, as upstream's token cache: authenticated answers for SuccessTTL, the
// "not authenticated" ones for FailureTTL, errors never. Concurrent lookups of the
// same token share one call. Tokens are kept only as keyed hashes.
type TokenCache struct {
	next       TokenAuthenticator
	successTTL time.Duration
	failureTTL time.Duration
	now        func() time.Time
	hmacKey    []byte

	// mu guards entries and inflight.
	mu       sync.Mutex
	entries  map[string]cacheEntry
	inflight map[string]*lookup
}

type cacheEntry struct {
	user    *request.User
	ok      bool
	expires time.Time
}

// lookup is one call of next shared by the requests that wait for it.
type lookup struct {
	done chan struct{}
	user *request.User
	ok   bool
	err  error
}

// maxTokenCacheEntries bounds the cache; when full, expired entries go, then all.
const maxTokenCacheEntries = 10000

// sharedLookupTimeout bounds a call made on behalf of several requests, which is
// detached from any one of them.
const sharedLookupTimeout = 30 * time.Second

// NewTokenCache wraps next.
func NewTokenCache(next TokenAuthenticator, successTTL, failureTTL time.Duration) *TokenCache {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	return &TokenCache{next: next, successTTL: successTTL, failureTTL: failureTTL, now: time.Now, hmacKey: key,
		entries: map[string]cacheEntry{}, inflight: map[string]*lookup{}}
}

// AuthenticateToken implements TokenAuthenticator.
func (c *TokenCache) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	auds := AudiencesFrom(ctx)
	key := c.key(token, auds)
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		if c.now().Before(e.expires) {
			c.mu.Unlock()
			return copyUser(e.user), e.ok, nil
		}
		delete(c.entries, key)
	}
	l, waiting := c.inflight[key]
	if !waiting {
		l = &lookup{done: make(chan struct{})}
		c.inflight[key] = l
	}
	c.mu.Unlock()
	if !waiting {
		go c.fetch(key, token, auds, l)
	}
	select {
	case <-l.done:
		return copyUser(l.user), l.ok, l.err
	case <-ctx.Done():
		return nil, false, ctx.Err()
	}
}

// fetch asks next on behalf of every request waiting for l; it ends within
// sharedLookupTimeout.
func (c *TokenCache) fetch(key, token string, auds []string, l *lookup) {
	ctx, cancel := context.WithTimeout(WithAudiences(context.Background(), auds), sharedLookupTimeout)
	defer cancel()
	l.user, l.ok, l.err = c.next.AuthenticateToken(ctx, token)
	c.mu.Lock()
	defer c.mu.Unlock()
	// The answer is cached before the waiters see it, so that their next lookup
	// finds it.
	defer close(l.done)
	delete(c.inflight, key)
	ttl := c.failureTTL
	if l.ok {
		ttl = c.successTTL
	}
	if l.err != nil || ttl <= 0 {
		return
	}
	if len(c.entries) >= maxTokenCacheEntries {
		now := c.now()
		for k, e := range c.entries {
			if !now.Before(e.expires) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= maxTokenCacheEntries {
			clear(c.entries)
		}
	}
	c.entries[key] = cacheEntry{user: l.user, ok: l.ok, expires: c.now().Add(ttl)}
}

// key is a keyed hash of the token and audiences, each length-prefixed so that no
// two inputs share an encoding.
func (c *TokenCache) key(token string, auds []string) string {
	h := hmac.New(sha256.New, c.hmacKey)
	writeField(h, token)
	_ = binary.Write(h, binary.BigEndian, uint32(len(auds)))
	for _, a := range auds {
		writeField(h, a)
	}
	return string(h.Sum(nil))
}

func writeField(h hash.Hash, s string) {
	_ = binary.Write(h, binary.BigEndian, uint32(len(s)))
	h.Write([]byte(s))
}

// copyUser returns a copy the caller may change without touching the cached user.
func copyUser(u *request.User) *request.User {
	if u == nil {
		return nil
	}
	cp := *u
	if u.Groups != nil {
		cp.Groups = append([]string(nil), u.Groups...)
	}
	if u.Extra != nil {
		cp.Extra = make(map[string][]string, len(u.Extra))
		for k, v := range u.Extra {
			cp.Extra[k] = append([]string(nil), v...)
		}
	}
	return &cp
}
