package endpoints

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

func TestWatchDrainInterval(t *testing.T) {
	tests := []struct {
		name  string
		n     int
		grace time.Duration
		want  time.Duration
	}{
		{name: "no grace", n: 1000, grace: 0, want: 0},
		{name: "no watches", n: 0, grace: time.Minute, want: 0},
		{name: "few watches at the floor rate", n: 60, grace: 2 * time.Second, want: 5 * time.Millisecond},
		{name: "many watches spread over the grace", n: 10000, grace: 10 * time.Second, want: time.Millisecond},
		{name: "one watch", n: 1, grace: time.Hour, want: 5 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := watchDrainInterval(tc.n, tc.grace); got != tc.want {
				t.Errorf("watchDrainInterval(%d, %v) = %v, want %v", tc.n, tc.grace, got, tc.want)
			}
		})
	}
}

// TestOpenWatches: stop ends the registered watches but not the removed ones, and
// a watch added after it is ended at once.
func TestOpenWatches(t *testing.T) {
	var o openWatches
	var ended atomic.Int32
	count := func() context.CancelFunc { return func() { ended.Add(1) } }
	o.add(count())
	o.add(count())
	remove := o.add(func() { t.Error("a removed watch was ended") })
	remove()
	o.stop(time.Second)
	if got := ended.Load(); got != 2 {
		t.Fatalf("stop ended %d watches, want 2", got)
	}
	o.add(count())()
	if got := ended.Load(); got != 3 {
		t.Errorf("a watch added during the shutdown was not ended at once")
	}
}
