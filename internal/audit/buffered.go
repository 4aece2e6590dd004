package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// BufferedPluginName labels the events a full buffer drops, as upstream.
const BufferedPluginName = "buffered"

// BatchConfig tunes a Buffered backend (the --audit-*-batch-* flags).
type BatchConfig struct {
	// BufferSize is how many events wait before new ones are dropped.
	BufferSize int
	// MaxBatchSize is the most events one delegate call gets.
	MaxBatchSize int
	// MaxBatchWait is the longest an event waits for its batch to fill.
	MaxBatchWait time.Duration
	// ThrottleEnable limits batches to ThrottleQPS per second, bursts of ThrottleBurst.
	ThrottleEnable bool
	ThrottleQPS    float32
	ThrottleBurst  int
	// AsyncDelegate sends each batch from its own goroutine (the webhook does; the log
	// file does not, as concurrent writers only contend).
	AsyncDelegate bool
}

// Buffered queues events and hands them to its delegate in batches from one goroutine,
// so that requests never wait for the delegate. Shutdown sends everything queued.
type Buffered struct {
	delegate Backend
	cfg      BatchConfig
	metrics  *Metrics
	limiter  *rate.Limiter

	// mu guards closed and the sends on buffer against Shutdown closing it.
	mu     sync.RWMutex
	closed bool
	buffer chan *Event

	// done is closed when the batching goroutine has sent its last batch.
	done chan struct{}
	// sending counts asynchronous delegate calls in flight.
	sending sync.WaitGroup
	once    sync.Once
}

// NewBuffered starts the batching goroutine; Shutdown stops it.
func NewBuffered(delegate Backend, cfg BatchConfig, m *Metrics) *Buffered {
	if cfg.BufferSize <= 0 {
		cfg.BufferSize = 1
	}
	if cfg.MaxBatchSize <= 0 {
		cfg.MaxBatchSize = 1
	}
	b := &Buffered{delegate: delegate, cfg: cfg, metrics: m,
		buffer: make(chan *Event, cfg.BufferSize), done: make(chan struct{})}
	if cfg.ThrottleEnable {
		b.limiter = rate.NewLimiter(rate.Limit(cfg.ThrottleQPS), cfg.ThrottleBurst)
	}
	go b.run()
	return b
}

// ProcessEvents queues events without waiting; when the buffer is full (or the backend
// shut down) the rest are dropped and counted. Like upstream it reports success anyway:
// batch mode never fails a request.
func (b *Buffered) ProcessEvents(events ...*Event) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for i, e := range events {
		if b.closed {
			b.drop(len(events)-i, "audit backend shut down")
			return true
		}
		select {
		case b.buffer <- e:
		default:
			b.drop(len(events)-i, "audit buffer queue blocked")
			return true
		}
	}
	return true
}

func (b *Buffered) drop(n int, why string) {
	b.metrics.ObserveError(BufferedPluginName, n)
	slog.Error("audit events dropped", "events", n, "reason", why)
}

// Shutdown stops accepting events, sends the queued ones and shuts the delegate down.
func (b *Buffered) Shutdown() {
	b.once.Do(func() {
		b.mu.Lock()
		b.closed = true
		close(b.buffer)
		b.mu.Unlock()
		<-b.done
		b.sending.Wait()
		b.delegate.Shutdown()
	})
}

// run collects batches until the buffer is closed and drained.
func (b *Buffered) run() {
	defer close(b.done)
	for {
		batch, more := b.collect()
		if len(batch) > 0 {
			b.send(batch)
		}
		if !more {
			return
		}
	}
}

// collect waits for the first event, then gathers until the batch is full, the wait
// is over or the buffer is closed (more is then false).
func (b *Buffered) collect() (batch []*Event, more bool) {
	e, ok := <-b.buffer
	if !ok {
		return nil, false
	}
	batch = append(batch, e)
	if b.cfg.MaxBatchSize == 1 {
		return batch, true
	}
	timer := time.NewTimer(b.cfg.MaxBatchWait)
	defer timer.Stop()
	for len(batch) < b.cfg.MaxBatchSize {
		select {
		case e, ok := <-b.buffer:
			if !ok {
				return batch, false
			}
			batch = append(batch, e)
		case <-timer.C:
			return batch, true
		}
	}
	return batch, true
}

func (b *Buffered) send(batch []*Event) {
	if b.limiter != nil {
		_ = b.limiter.Wait(context.Background())
	}
	if !b.cfg.AsyncDelegate {
		b.delegate.ProcessEvents(batch...)
		return
	}
	b.sending.Add(1)
	go func() {
		defer b.sending.Done()
		b.delegate.ProcessEvents(batch...)
	}()
}
