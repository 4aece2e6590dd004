package flowcontrol

import (
	"context"
	"math"
	"sync"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

// Reasons a request is rejected, as upstream's rejected_requests_total labels them.
const (
	reasonQueueFull        = "queue-full"
	reasonConcurrencyLimit = "concurrency-limit"
	reasonTimeout          = "time-out"
	reasonCancelled        = "cancelled"
)

// level is one priority level's seats and queues. It outlives configuration changes
// of its PriorityLevelConfiguration (queued requests stay queued) and, once removed
// from the configuration, lives on until it drained.
type level struct {
	name    string
	metrics *Metrics

	// mu guards everything below.
	mu     sync.Mutex
	exempt bool
	lim    limits
	// current is the seat limit in force: the nominal one adjusted by borrowing.
	current int
	// queuing is nil when the level rejects what it cannot run at once.
	queuing   *flowcontrolv1.QueuingConfiguration
	queues    []*queue
	executing int
	waiting   int
	// virtualTime is the virtual start of the request dispatched last.
	virtualTime float64
	// peak is the highest seat demand (executing + waiting) since the last
	// borrowing round; smoothed is its slowly decaying envelope.
	peak     int
	smoothed float64
}

// queue is a FIFO of waiting requests with its fair-queuing virtual clock.
type queue struct {
	waiters []*waiter
	// virtualStart is the virtual time at which the head request starts.
	virtualStart float64
	executing    int
}

// waiter is a request in a queue; ready closes when it is dispatched.
type waiter struct {
	ready      chan struct{}
	queue      *queue
	schema     string
	dispatched bool
}

func newLevel(name string, m *Metrics) *level { return &level{name: name, metrics: m} }

// configure applies pl's settings and bounds. Waiting requests are redealt over
// the new queues when their number changes.
func (l *level) configure(pl *flowcontrolv1.PriorityLevelConfiguration, lim limits, first bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.exempt = pl.Spec.Type == flowcontrolv1.PriorityLevelEnablementExempt
	l.lim = lim
	if first {
		// As upstream: start with half the lendable seats lent.
		l.current = lim.nominal - (lim.nominal-lim.min)/2
	}
	l.current = min(max(l.current, lim.min), lim.max)
	var q *flowcontrolv1.QueuingConfiguration
	if pl.Spec.Limited != nil && pl.Spec.Limited.LimitResponse.Type == flowcontrolv1.LimitResponseTypeQueue {
		q = pl.Spec.Limited.LimitResponse.Queuing
	}
	l.queuing = q
	n := 0
	if q != nil {
		n = int(q.Queues)
	}
	if n != len(l.queues) {
		l.redeal(n)
	}
	l.metrics.setLimits(l.name, lim, l.current)
	l.dispatchLocked()
}

// redeal replaces the queues by n new ones (at least one while requests wait),
// keeping every waiting request in arrival order of its old queue.
func (l *level) redeal(n int) {
	var waiting []*waiter
	for _, q := range l.queues {
		waiting = append(waiting, q.waiters...)
	}
	if n == 0 && len(waiting) > 0 {
		n = 1
	}
	l.queues = make([]*queue, n)
	for i := range l.queues {
		l.queues[i] = &queue{virtualStart: l.virtualTime}
	}
	for i, w := range waiting {
		q := l.queues[i%n]
		w.queue = q
		q.waiters = append(q.waiters, w)
	}
}

// acquire waits for a seat. It returns release (to call when the request no longer
// needs its seat) or the reason the request was rejected.
func (l *level) acquire(ctx context.Context, schema string, hash uint64, waitLimit time.Duration) (release func(), reason string) {
	start := time.Now()
	l.mu.Lock()
	if l.exempt || (l.waiting == 0 && l.executing < l.current) {
		l.executing++
		l.notePeakLocked()
		l.mu.Unlock()
		return l.dispatched(schema, nil, start, false), ""
	}
	if l.queuing == nil || len(l.queues) == 0 {
		l.mu.Unlock()
		return nil, reasonConcurrencyLimit
	}
	q := l.shortestQueue(dealHand(hash, len(l.queues), int(l.queuing.HandSize)))
	if q == nil || len(q.waiters) >= int(l.queuing.QueueLengthLimit) {
		l.mu.Unlock()
		return nil, reasonQueueFull
	}
	if len(q.waiters) == 0 && q.executing == 0 {
		q.virtualStart = math.Max(q.virtualStart, l.virtualTime)
	}
	w := &waiter{ready: make(chan struct{}), queue: q, schema: schema}
	q.waiters = append(q.waiters, w)
	l.waiting++
	l.notePeakLocked()
	l.mu.Unlock()
	l.metrics.inQueue(l.name, schema, 1)

	timer := time.NewTimer(waitLimit)
	defer timer.Stop()
	select {
	case <-w.ready:
		l.metrics.inQueue(l.name, schema, -1)
		request.AddExcludedLatency(ctx, time.Since(start))
		return l.dispatched(schema, w.queue, start, true), ""
	case <-timer.C:
		reason = reasonTimeout
	case <-ctx.Done():
		reason = reasonCancelled
	}
	l.mu.Lock()
	if w.dispatched {
		// Dispatched while giving up: take the seat after all.
		l.mu.Unlock()
		l.metrics.inQueue(l.name, schema, -1)
		request.AddExcludedLatency(ctx, time.Since(start))
		return l.dispatched(schema, w.queue, start, true), ""
	}
	l.removeLocked(w)
	l.mu.Unlock()
	l.metrics.inQueue(l.name, schema, -1)
	l.metrics.waited(l.name, schema, time.Since(start))
	return nil, reason
}

// dispatched records a request that got its seat and returns its release.
func (l *level) dispatched(schema string, q *queue, start time.Time, queued bool) func() {
	l.metrics.dispatch(l.name, schema, time.Since(start))
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			l.executing--
			if q != nil {
				q.executing--
			}
			l.dispatchLocked()
			l.metrics.executingSeats(l.name, l.executing)
			l.mu.Unlock()
			l.metrics.executing(l.name, schema, -1)
		})
	}
}

func (l *level) removeLocked(w *waiter) {
	q := w.queue
	for i, x := range q.waiters {
		if x == w {
			q.waiters = append(q.waiters[:i], q.waiters[i+1:]...)
			l.waiting--
			return
		}
	}
}

// shortestQueue picks the queue of the hand with the least work, waiting and
// executing; the first such in hand order.
func (l *level) shortestQueue(hand []int) *queue {
	var best *queue
	for _, i := range hand {
		q := l.queues[i]
		if best == nil || len(q.waiters)+q.executing < len(best.waiters)+best.executing {
			best = q
		}
	}
	return best
}

// dispatchLocked starts waiting requests while seats are free, always from the
// queue whose head has the earliest virtual start (start-time fair queuing).
func (l *level) dispatchLocked() {
	for l.waiting > 0 && (l.exempt || l.executing < l.current) {
		var next *queue
		for _, q := range l.queues {
			if len(q.waiters) > 0 && (next == nil || q.virtualStart < next.virtualStart) {
				next = q
			}
		}
		if next == nil {
			return
		}
		w := next.waiters[0]
		next.waiters = next.waiters[1:]
		l.waiting--
		l.virtualTime = next.virtualStart
		next.virtualStart++
		next.executing++
		l.executing++
		w.dispatched = true
		close(w.ready)
	}
}

func (l *level) notePeakLocked() {
	l.peak = max(l.peak, l.executing+l.waiting)
	l.metrics.executingSeats(l.name, l.executing)
}

// borrowingRound returns the level's demand since the last round (and starts a new
// one): the peak and its smoothed envelope.
func (l *level) borrowingRound() (peak int, smoothed float64, lim limits, exempt bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	peak = l.peak
	l.peak = l.executing + l.waiting
	l.smoothed = math.Max(float64(peak), smoothingCoefficient*l.smoothed+(1-smoothingCoefficient)*float64(peak))
	return peak, l.smoothed, l.lim, l.exempt
}

// smoothingCoefficient is how much of the previous smoothed demand a round keeps,
// upstream's value.
const smoothingCoefficient = 0.977

// setCurrent puts a new seat limit in force and starts what it lets run.
func (l *level) setCurrent(n int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.current = n
	l.metrics.setLimits(l.name, l.lim, n)
	l.dispatchLocked()
}

// idle reports whether nothing runs or waits at the level.
func (l *level) idle() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.executing == 0 && l.waiting == 0
}
