package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"runtime/metrics"
	"time"

	"github.com/kapi-dev/kapi/internal/exepages"
)

// Go's collector lets the heap grow to twice what the last collection found live
// (more while kapi paces it, gcpace.go) before it collects again, and keeps the
// freed pages for the next growth. A busy server needs that room; an idle one only
// sits on it, at twice its live heap or more, for as long as it stays idle. So while the server is idle, kapi collects and gives
// the free pages back to the operating system, as JVMs do for idle servers
// (G1PeriodicGCInterval, JEP 346), and trims the executable's pages from its
// resident set (package exepages), as operating systems trim an idle process's
// working set. Under load it never does: the test is the allocation rate, and a
// busy server allocates far more than idleAllocRate.
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
	// plentyReclaimable is the heap growth past which one idle sample is enough:
	// after a burst that left that much (the load command's 1,000 watches open
	// after its LISTs), waiting a second more can outlast a memory sample taken
	// a few seconds later on a slow host; refaulting it if requests resume costs
	// some 100 ms of CPU on these machines.
	plentyReclaimable = 32 << 20
	// minReclaimable is the least growth of the heap worth a collection: an idle
	// server allocates that much in a few minutes, so it trims about that often,
	// each time for one collection of its live heap (some 20 ms of CPU).
	minReclaimable = 4 << 20
	// executableChecks is how many samples at least lie between two trims of the
	// executable's pages (exepages.Release) while idle without a heap trim: what
	// an idle server runs (lease renewals, bookmarks, the collector's scans of
	// goroutine stacks) maps some 25 MiB of code again within a minute or two.
	executableChecks = 30
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
	// sinceExecutable counts the samples since the executable's pages were last
	// trimmed.
	sinceExecutable int
}

// observe takes the next sample and reports what to trim now: the heap, or the
// executable's pages, or both (a heap trim always brings the executable's).
func (t *idleTrimmer) observe(s heapSample, interval time.Duration) (heap, executable bool) {
	allocated := s.allocs - t.last.allocs
	t.last = s
	t.sinceExecutable++
	if allocated > uint64(float64(idleAllocRate)*interval.Seconds()) {
		t.quiet = 0
		return false, false
	}
	t.quiet++
	kept := max(t.floor, s.live)
	need := idleChecks
	if s.held >= kept+plentyReclaimable {
		need = 1
	}
	if t.quiet < need {
		return false, false
	}
	if s.held >= kept+minReclaimable {
		t.quiet, t.sinceExecutable = 0, 0
		return true, true
	}
	if t.sinceExecutable >= executableChecks {
		t.sinceExecutable = 0
		return false, true
	}
	return false, false
}

// trimmed records the heap right after a trim.
func (t *idleTrimmer) trimmed(s heapSample) {
	t.last, t.floor = s, s.held
}

// ManageMemory paces the collector by the live heap (collectorPacer), and gives
// free heap back to the operating system and trims the executable's pages from the
// resident set whenever the process has been idle for a while, until ctx ends. It
// is a policy of the whole process, so the kapi command starts it, not New: an
// in-process test server must not collect or pace its test's heap.
func ManageMemory(ctx context.Context) {
	// What New ran to set the server up is not needed mapped.
	releaseExecutablePages()
	samples := newHeapSamples()
	t := &idleTrimmer{last: readHeapSample(samples)}
	pacer := newCollectorPacer()
	tick := time.NewTicker(idleCheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		sample := readHeapSample(samples)
		pacer.observe(sample.live)
		heap, executable := t.observe(sample, idleCheckInterval)
		if heap {
			debug.FreeOSMemory()
			t.trimmed(readHeapSample(samples))
		}
		if executable {
			releaseExecutablePages()
		}
	}
}

// releaseExecutablePages trims the executable's pages from the resident set; where
// it cannot (not Linux), kapi only keeps them.
func releaseExecutablePages() {
	if _, err := exepages.Release(); err != nil {
		slog.Debug("could not trim the executable's pages from the resident set", "err", err)
	}
}
