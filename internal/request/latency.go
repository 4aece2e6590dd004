package request

import (
	"context"
	"sync/atomic"
	"time"
)

// ExcludedLatency adds up the time a request spent where upstream's SLI latency
// (apiserver_request_sli_duration_seconds) does not count it: in a priority and
// fairness queue and in admission webhooks. Safe for concurrent use (validating
// webhooks run in parallel; their calls add their wall-clock span once).
type ExcludedLatency struct{ nanos atomic.Int64 }

type excludedLatencyKey struct{}

// WithExcludedLatency returns a context in which AddExcludedLatency adds to e.
func WithExcludedLatency(ctx context.Context, e *ExcludedLatency) context.Context {
	return context.WithValue(ctx, excludedLatencyKey{}, e)
}

// AddExcludedLatency adds d to the request's excluded latency, if it is tracked.
func AddExcludedLatency(ctx context.Context, d time.Duration) {
	if e, ok := ctx.Value(excludedLatencyKey{}).(*ExcludedLatency); ok {
		e.nanos.Add(int64(d))
	}
}

// ExcludedLatencyFrom returns the request's excluded latency so far.
func ExcludedLatencyFrom(ctx context.Context) time.Duration {
	if e, ok := ctx.Value(excludedLatencyKey{}).(*ExcludedLatency); ok {
		return time.Duration(e.nanos.Load())
	}
	return 0
}
