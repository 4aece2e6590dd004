package server

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Go's collector lets the heap grow to twice what the last collection found live
// before it collects again, and keeps the freed pages for the next growth. A busy
// server needs that room; an idle one only sits on it, at twice its live heap, for
// as long as it stays idle. So while the server is idle, kapi collects and gives
// the free pages back to the operating system, as JVMs do for idle servers
// (G1PeriodicGCInterval, JEP 346). Under load it never does: the test is the
// allocation rate, and a busy server allocates far more than idleAllocRate.
const (
	// idleCheckInterval is how often the allocation rate is sampled.
	idleCheckInterval = time.Second
	// idleAllocRate is the most a second's allocations may be for the server to
	// count as idle: an idle kapi (lease renewals, bookmarks) allocates ~0.1 MB/s,
	// a single client's requests several MB/s.
	idleAllocRate = 1 << 20
	// idleChecks is how many consecutive idle samples come before a trim, so that
	// a pause between two bursts of requests is not taken for idleness.
	idleChecks = 2
	// minReclaimable is the least growth of the heap worth a collection: an idle
	// server allocates that much in a few minutes, so it trims about that often,
	// each time for one collection of its live heap (some 20 ms of CPU).
	minReclaimable = 4 << 20
)

// heapSample is what the trimmer reads from the runtime.
type heapSample struct {
	allocs uint64 // bytes allocated since the process started
	// held is the heap memory not returned to the operating system: objects live
	// and dead, the free space of their spans, and free spans.
	held uint64
	live uint64 // the live heap the last collection found
}

var heapMetrics = []string{
	"/gc/heap/allocs:bytes",
	"/gc/heap/live:bytes",
	"/memory/classes/heap/objects:bytes",
	"/memory/classes/heap/unused:bytes",
	"/memory/classes/heap/free:bytes",
}

// newHeapSamples returns the samples readHeapSample reads into.
func newHeapSamples() []metrics.Sample {
	samples := make([]metrics.Sample, len(heapMetrics))
	for i, name := range heapMetrics {
		samples[i].Name = name
	}
	return samples
}

// readHeapSample reads the runtime's heap metrics into samples (reused between
// calls) and sums them up.
func readHeapSample(samples []metrics.Sample) heapSample {
	metrics.Read(samples)
	v := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	return heapSample{allocs: v(0), live: v(1), held: v(2) + v(3) + v(4)}
}

// idleTrimmer decides, one sample at a time, when to trim.
type idleTrimmer struct {
	last  heapSample
	quiet int // consecutive samples under idleAllocRate
	// floor is what the heap held right after the last trim: the live heap and
	// the free space of partly used spans, which no trim gives back.
	floor uint64
}

// observe takes the next sample and reports whether to trim now.
func (t *idleTrimmer) observe(s heapSample, interval time.Duration) bool {
	allocated := s.allocs - t.last.allocs
	t.last = s
	if allocated > uint64(float64(idleAllocRate)*interval.Seconds()) {
		t.quiet = 0
		return false
	}
	t.quiet++
	if t.quiet < idleChecks || s.held < max(t.floor, s.live)+minReclaimable {
		return false
	}
	t.quiet = 0
	return true
}

// trimmed records the heap right after a trim.
func (t *idleTrimmer) trimmed(s heapSample) {
	t.last, t.floor = s, s.held
}

// ReturnIdleMemory gives free heap back to the operating system whenever the
// process has been idle for a while, until ctx ends. It is a policy of the whole
// process, so the kapi command starts it, not New: an in-process test server must
// not collect its test's heap.
func ReturnIdleMemory(ctx context.Context) {
	samples := newHeapSamples()
	t := &idleTrimmer{last: readHeapSample(samples)}
	tick := time.NewTicker(idleCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if t.observe(readHeapSample(samples), idleCheckInterval) {
			debug.FreeOSMemory()
			t.trimmed(readHeapSample(samples))
		}
	}
}
