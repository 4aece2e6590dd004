package flowcontrol

import (
	"context"
	"testing"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
)

func testLevel(t *testing.T, seats int, q *flowcontrolv1.QueuingConfiguration) *level {
	t.Helper()
	pl := &flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{
		Type: flowcontrolv1.PriorityLevelEnablementLimited,
		Limited: &flowcontrolv1.LimitedPriorityLevelConfiguration{
			LimitResponse: flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeReject},
		},
	}}
	if q != nil {
		pl.Spec.Limited.LimitResponse = flowcontrolv1.LimitResponse{Type: flowcontrolv1.LimitResponseTypeQueue, Queuing: q}
	}
	l := newLevel("test", NewMetrics(nil))
	l.configure(pl, limits{nominal: seats, min: seats, max: seats}, true)
	return l
}

// acquireAsync starts acquire and returns the channel its outcome arrives on.
func acquireAsync(l *level, ctx context.Context, flow uint64, wait time.Duration) chan acquired {
	ch := make(chan acquired, 1)
	go func() {
		release, reason := l.acquire(ctx, "fs", flow, wait)
		ch <- acquired{release, reason}
	}()
	return ch
}

type acquired struct {
	release func()
	reason  string
}

func waitFor(t *testing.T, ch chan acquired) acquired {
	t.Helper()
	select {
	case a := <-ch:
		return a
	case <-time.After(5 * time.Second):
		t.Fatal("acquire did not return")
		return acquired{}
	}
}

func waitQueued(t *testing.T, l *level, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		l.mu.Lock()
		w := l.waiting
		l.mu.Unlock()
		if w == n {
			return
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("never saw %d waiting", n)
}

func TestLevelRejections(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		queuing *flowcontrolv1.QueuingConfiguration
		wait    time.Duration
		// want is the reason the request after the queued ones gets.
		queued int
		want   string
	}{
		{"reject type rejects at once", nil, time.Minute, 0, reasonConcurrencyLimit},
		{"queue full", &flowcontrolv1.QueuingConfiguration{Queues: 1, HandSize: 1, QueueLengthLimit: 2}, time.Minute, 2, reasonQueueFull},
		{"wait limit", &flowcontrolv1.QueuingConfiguration{Queues: 1, HandSize: 1, QueueLengthLimit: 5}, 20 * time.Millisecond, 0, reasonTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := testLevel(t, 1, tt.queuing)
			first, reason := l.acquire(ctx, "fs", 1, tt.wait)
			if first == nil {
				t.Fatalf("first request rejected: %s", reason)
			}
			var queued []chan acquired
			for i := 0; i < tt.queued; i++ {
				queued = append(queued, acquireAsync(l, ctx, 1, tt.wait))
				waitQueued(t, l, i+1)
			}
			if release, reason := l.acquire(ctx, "fs", 1, tt.wait); release != nil || reason != tt.want {
				t.Fatalf("got release=%v reason %q, want rejection %q", release != nil, reason, tt.want)
			}
			first()
			for _, ch := range queued {
				a := waitFor(t, ch)
				if a.release == nil {
					t.Fatalf("queued request rejected: %s", a.reason)
				}
				a.release()
			}
		})
	}
}

func TestLevelCancelledWhileQueued(t *testing.T) {
	l := testLevel(t, 1, &flowcontrolv1.QueuingConfiguration{Queues: 1, HandSize: 1, QueueLengthLimit: 5})
	first, _ := l.acquire(context.Background(), "fs", 1, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	ch := acquireAsync(l, ctx, 1, time.Minute)
	waitQueued(t, l, 1)
	cancel()
	if a := waitFor(t, ch); a.release != nil || a.reason != reasonCancelled {
		t.Fatalf("got %+v, want cancelled", a)
	}
	first()
	if !l.idle() {
		t.Error("level not idle after everything finished")
	}
}

// TestLevelFairness queues many requests of a heavy flow, then one of a light flow
// on another queue: the light one is served next, not after the heavy backlog.
func TestLevelFairness(t *testing.T) {
	ctx := context.Background()
	l := testLevel(t, 1, &flowcontrolv1.QueuingConfiguration{Queues: 2, HandSize: 1, QueueLengthLimit: 10})
	heavy, light := flowOnQueue(t, 2, 0), flowOnQueue(t, 2, 1)
	running, _ := l.acquire(ctx, "fs", heavy, time.Minute)
	var heavyQueued []chan acquired
	for i := 0; i < 5; i++ {
		heavyQueued = append(heavyQueued, acquireAsync(l, ctx, heavy, time.Minute))
		waitQueued(t, l, i+1)
	}
	lightCh := acquireAsync(l, ctx, light, time.Minute)
	waitQueued(t, l, 6)
	running()
	// One heavy request may go first (its queue's virtual start is not later); the
	// light one must come within the next two dispatches.
	order := []string{}
	for len(order) < 3 {
		select {
		case a := <-lightCh:
			order = append(order, "light")
			a.release()
		case a := <-heavyQueued[0]:
			heavyQueued = heavyQueued[1:]
			order = append(order, "heavy")
			a.release()
		case <-time.After(5 * time.Second):
			t.Fatalf("stalled after %v", order)
		}
	}
	if order[0] != "light" && order[1] != "light" {
		t.Errorf("light flow served late: %v", order)
	}
	for _, ch := range heavyQueued {
		waitFor(t, ch).release()
	}
}

func flowOnQueue(t *testing.T, deck, want int) uint64 {
	t.Helper()
	for h := uint64(0); h < 1000; h++ {
		if dealHand(h, deck, 1)[0] == want {
			return h
		}
	}
	t.Fatal("no hash found")
	return 0
}

func TestExemptLevelNeverWaits(t *testing.T) {
	l := newLevel("exempt", nil)
	l.configure(&flowcontrolv1.PriorityLevelConfiguration{Spec: flowcontrolv1.PriorityLevelConfigurationSpec{Type: flowcontrolv1.PriorityLevelEnablementExempt}}, limits{}, true)
	var releases []func()
	for i := 0; i < 100; i++ {
		r, reason := l.acquire(context.Background(), "exempt", uint64(i), time.Millisecond)
		if r == nil {
			t.Fatalf("request %d rejected: %s", i, reason)
		}
		releases = append(releases, r)
	}
	for _, r := range releases {
		r()
	}
}
