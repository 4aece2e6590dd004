package authn

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// countingToken authenticates "good", rejects "denied", errs on "broken", and
// counts its calls; release, when set, holds calls until closed.
type countingToken struct {
	calls   atomic.Int32
	release chan struct{}
}

func (c *countingToken) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	c.calls.Add(1)
	if c.release != nil {
		<-c.release
	}
	switch token {
	case "good":
		return &request.User{Name: "alice", Groups: []string{"devs"}, Extra: map[string][]string{"k": {"v"}}}, true, nil
	case "denied":
		return nil, false, nil
	}
	return nil, false, errors.New("webhook down")
}

func TestTokenCache(t *testing.T) {
	tests := []struct {
		name      string
		token     string
		success   time.Duration
		failure   time.Duration
		advance   time.Duration
		wantCalls int32
	}{
		{name: "success cached", token: "good", success: time.Minute, wantCalls: 1},
		{name: "success expires", token: "good", success: time.Minute, advance: 2 * time.Minute, wantCalls: 2},
		{name: "failure cached", token: "denied", success: time.Minute, failure: time.Minute, wantCalls: 1},
		{name: "failure not cached with zero ttl", token: "denied", success: time.Minute, wantCalls: 2},
		{name: "errors never cached", token: "broken", success: time.Minute, failure: time.Minute, wantCalls: 2},
		{name: "nothing cached with zero ttls", token: "good", wantCalls: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			next := &countingToken{}
			c := NewTokenCache(next, tc.success, tc.failure)
			now := time.Now()
			c.now = func() time.Time { return now }
			u1, ok1, err1 := c.AuthenticateToken(context.Background(), tc.token)
			now = now.Add(tc.advance)
			u2, ok2, err2 := c.AuthenticateToken(context.Background(), tc.token)
			if got := next.calls.Load(); got != tc.wantCalls {
				t.Fatalf("calls = %d, want %d", got, tc.wantCalls)
			}
			if ok1 != ok2 || (err1 == nil) != (err2 == nil) || (u1 == nil) != (u2 == nil) || (u1 != nil && u1.Name != u2.Name) {
				t.Fatalf("answers differ: %v,%v,%v vs %v,%v,%v", u1, ok1, err1, u2, ok2, err2)
			}
		})
	}
	t.Run("audiences are part of the key", func(t *testing.T) {
		next := &countingToken{}
		c := NewTokenCache(next, time.Minute, time.Minute)
		_, _, _ = c.AuthenticateToken(context.Background(), "good")
		_, _, _ = c.AuthenticateToken(WithAudiences(context.Background(), []string{"vault"}), "good")
		_, _, _ = c.AuthenticateToken(WithAudiences(context.Background(), []string{"vault"}), "good")
		if got := next.calls.Load(); got != 2 {
			t.Fatalf("calls = %d, want 2", got)
		}
	})
	t.Run("cached user is a copy", func(t *testing.T) {
		c := NewTokenCache(&countingToken{}, time.Minute, 0)
		u, _, _ := c.AuthenticateToken(context.Background(), "good")
		u.Groups[0], u.Extra["k"][0] = "mallory", "x"
		u2, _, _ := c.AuthenticateToken(context.Background(), "good")
		if u2.Groups[0] != "devs" || u2.Extra["k"][0] != "v" {
			t.Fatalf("cached user changed: %+v", u2)
		}
	})
	t.Run("concurrent lookups share one call", func(t *testing.T) {
		next := &countingToken{release: make(chan struct{})}
		c := NewTokenCache(next, time.Minute, 0)
		var wg sync.WaitGroup
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, ok, err := c.AuthenticateToken(context.Background(), "good"); !ok || err != nil {
					t.Errorf("AuthenticateToken = %v, %v", ok, err)
				}
			}()
		}
		// Let the waiters queue up behind the one call, then release it.
		deadline := time.Now().Add(5 * time.Second)
		for next.calls.Load() == 0 && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(20 * time.Millisecond)
		close(next.release)
		wg.Wait()
		if got := next.calls.Load(); got != 1 {
			t.Fatalf("calls = %d, want 1", got)
		}
	})
	t.Run("a cancelled request stops waiting", func(t *testing.T) {
		next := &countingToken{release: make(chan struct{})}
		defer close(next.release)
		c := NewTokenCache(next, time.Minute, 0)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, ok, err := c.AuthenticateToken(ctx, "good"); ok || !errors.Is(err, context.Canceled) {
			t.Fatalf("AuthenticateToken = %v, %v; want context.Canceled", ok, err)
		}
	})
}
