package main

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestRunParallel(t *testing.T) {
	boom := errors.New("boom")
	cases := []struct {
		name      string
		n         int
		workers   int
		failAt    int // -1: never
		wantErr   error
		wantCalls func(int) bool
	}{
		{"all items once", 100, 8, -1, nil, func(c int) bool { return c == 100 }},
		{"more workers than items", 3, 32, -1, nil, func(c int) bool { return c == 3 }},
		{"no items", 0, 4, -1, nil, func(c int) bool { return c == 0 }},
		{"zero workers means one", 5, 0, -1, nil, func(c int) bool { return c == 5 }},
		{"first error stops the rest", 10000, 4, 10, boom, func(c int) bool { return c < 10000 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var mu sync.Mutex
			seen := map[int]int{}
			_, err := runParallel(context.Background(), c.n, c.workers, func(_ context.Context, worker, i int) error {
				mu.Lock()
				seen[i]++
				mu.Unlock()
				if worker < 0 || (c.workers > 0 && worker >= c.workers) {
					t.Errorf("worker %d out of range", worker)
				}
				if i == c.failAt {
					return boom
				}
				return nil
			})
			if !errors.Is(err, c.wantErr) || (c.wantErr == nil) != (err == nil) {
				t.Fatalf("error %v, want %v", err, c.wantErr)
			}
			if !c.wantCalls(len(seen)) {
				t.Errorf("%d items called", len(seen))
			}
			for i, k := range seen {
				if k != 1 {
					t.Errorf("item %d called %d times", i, k)
				}
			}
		})
	}
}

func TestRunParallelCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := runParallel(ctx, 10, 2, func(context.Context, int, int) error { return nil })
	if !errors.Is(err, context.Canceled) {
		t.Errorf("error %v, want context.Canceled", err)
	}
}
