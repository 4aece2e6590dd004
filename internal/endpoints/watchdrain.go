package endpoints

import (
	"context"
	"sync"
	"time"
)

// minWatchDrainRate is the fewest watches per second a paced shutdown ends, as
// upstream's: a small server does not hold its few watches for the whole grace
// period.
const minWatchDrainRate = 200

// openWatches ends the open watches when the server shuts down: all at once, or
// paced over --shutdown-watch-termination-grace-period so that their clients do not
// all come back to the other servers in the same instant.
type openWatches struct {
	mu       sync.Mutex
	cancels  map[*context.CancelFunc]struct{}
	stopping bool
}

// add registers a watch's cancel and returns its unregistration. A watch that
// starts once the shutdown began is ended at once.
func (o *openWatches) add(cancel context.CancelFunc) (remove func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.stopping {
		cancel()
		return func() {}
	}
	if o.cancels == nil {
		o.cancels = map[*context.CancelFunc]struct{}{}
	}
	key := &cancel
	o.cancels[key] = struct{}{}
	return func() {
		o.mu.Lock()
		delete(o.cancels, key)
		o.mu.Unlock()
	}
}

// stop ends every registered watch, with no grace at once, otherwise at
// watchDrainInterval apart; it returns when the last was ended.
func (o *openWatches) stop(grace time.Duration) {
	o.mu.Lock()
	o.stopping = true
	cancels := make([]context.CancelFunc, 0, len(o.cancels))
	for c := range o.cancels {
		cancels = append(cancels, *c)
	}
	o.mu.Unlock()
	interval := watchDrainInterval(len(cancels), grace)
	for i, cancel := range cancels {
		if i > 0 && interval > 0 {
			time.Sleep(interval)
		}
		cancel()
	}
}

// watchDrainInterval is the time between two watches' ends when n are spread over
// grace: n/grace per second, but at least minWatchDrainRate; 0 without grace.
func watchDrainInterval(n int, grace time.Duration) time.Duration {
	if grace <= 0 || n == 0 {
		return 0
	}
	rate := max(float64(n)/grace.Seconds(), minWatchDrainRate)
	return time.Duration(float64(time.Second) / rate)
}
