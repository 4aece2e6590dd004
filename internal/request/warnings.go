package request

import (
	"context"
	"sync"
)

type warningsKey struct{}

// warningSink forwards warnings to the response once each; admission plugins and
// storage add warnings while the response headers are still open.
type warningSink struct {
	mu   sync.Mutex
	seen map[string]bool
	add  func(string)
}

// WithWarningSink returns a context whose warnings are passed to add, each distinct
// message once (upstream deduplicates Warning headers the same way).
func WithWarningSink(ctx context.Context, add func(msg string)) context.Context {
	return context.WithValue(ctx, warningsKey{}, &warningSink{seen: map[string]bool{}, add: add})
}

// AddWarning records a warning for the request's client; without a sink it does
// nothing.
func AddWarning(ctx context.Context, msg string) {
	s, ok := ctx.Value(warningsKey{}).(*warningSink)
	if !ok || msg == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[msg] {
		return
	}
	s.seen[msg] = true
	s.add(msg)
}
