package controlplane

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"
)

// Queue is a rate-limited queue of keys (namespace names, object keys) with the
// usual controller semantics: a key is worked on by one worker at a time, a failed
// key is retried with backoff, and a key added again while queued is merged.
type Queue struct {
	name string
	q    workqueue.TypedRateLimitingInterface[string]
}

// NewQueue returns a queue whose retries are logged under name.
func NewQueue(name string) *Queue {
	return &Queue{
		name: name,
		q: workqueue.NewTypedRateLimitingQueueWithConfig(workqueue.DefaultTypedControllerRateLimiter[string](),
			workqueue.TypedRateLimitingQueueConfig[string]{Name: name}),
	}
}

// Add queues key for the next free worker.
func (q *Queue) Add(key string) { q.q.Add(key) }

// AddAfter queues key once delay has passed (a namespace still emptying).
func (q *Queue) AddAfter(key string, delay time.Duration) { q.q.AddAfter(key, delay) }

// Run starts workers that call sync for each key until ctx ends, then shuts the
// queue down and waits for them.
func (q *Queue) Run(ctx context.Context, workers int, syncKey func(ctx context.Context, key string) error) {
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for q.next(ctx, syncKey) {
			}
		}()
	}
	<-ctx.Done()
	q.q.ShutDown()
	wg.Wait()
}

func (q *Queue) next(ctx context.Context, syncKey func(ctx context.Context, key string) error) bool {
	key, shutdown := q.q.Get()
	if shutdown {
		return false
	}
	defer q.q.Done(key)
	err := syncKey(ctx, key)
	var later *RetryAfter
	if errors.As(err, &later) {
		q.q.Forget(key)
		q.q.AddAfter(key, later.Delay)
		return true
	}
	if err != nil {
		if ctx.Err() == nil {
			slog.Debug("controller sync failed, retrying", "controller", q.name, "key", key, "err", err)
		}
		q.q.AddRateLimited(key)
		return true
	}
	q.q.Forget(key)
	return true
}

// RetryAfter is returned by a sync that is not finished but knows when to look again
// (content with a grace period still going away); it is not a failure.
type RetryAfter struct {
	Delay  time.Duration
	Reason string
}

func (e *RetryAfter) Error() string { return e.Reason }
