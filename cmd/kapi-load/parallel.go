package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runParallel calls do for every i in [0, n) from `workers` goroutines, worker
// numbers 0..workers-1, and returns the wall time it took. The first error stops
// the hand-out of further items and is returned, with the number of failures.
func runParallel(ctx context.Context, n, workers int, do func(ctx context.Context, worker, i int) error) (time.Duration, error) {
	if workers < 1 {
		workers = 1
	}
	if workers > n {
		workers = n
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		next     atomic.Int64
		done     atomic.Int64
		failures atomic.Int64
		once     sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(worker int) {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := do(ctx, worker, i); err != nil {
					failures.Add(1)
					once.Do(func() { firstErr = err; cancel() })
					return
				}
				done.Add(1)
			}
		}(w)
	}
	wg.Wait()
	elapsed := time.Since(start)
	if firstErr != nil {
		return elapsed, &parallelError{first: firstErr, failures: failures.Load()}
	}
	if done.Load() < int64(n) {
		return elapsed, fmt.Errorf("stopped after %d of %d: %w", done.Load(), n, context.Cause(ctx))
	}
	return elapsed, nil
}

// parallelError reports the first failure of a parallel run.
type parallelError struct {
	first    error
	failures int64
}

func (e *parallelError) Error() string {
	if e.failures == 1 {
		return e.first.Error()
	}
	return e.first.Error() + " (and other failures)"
}

func (e *parallelError) Unwrap() error { return e.first }
