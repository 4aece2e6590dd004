package server

import (
	"runtime/metrics"
	"testing"
	"time"
)

func TestIdleTrimmerObserve(t *testing.T) {
	const (
		second = time.Second
		quiet  = 100 << 10 // an idle second's allocations
		busy   = 4 << 20   // a busy second's
		live   = 20 << 20
	)
	type step struct {
		allocated uint64 // since the previous sample
		held      uint64 // the heap held
		wantTrim  bool
		// afterTrim is what the heap holds once trimmed, when wantTrim.
		afterTrim uint64
		// wantExecutable is whether the executable's pages are trimmed alone.
		wantExecutable bool
	}
	// quietSteps is n idle samples without garbage to trim.
	quietSteps := func(n int) []step {
		out := make([]step, n)
		for i := range out {
			out[i] = step{allocated: quiet, held: live}
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{name: "idle with garbage trims after two quiet samples", steps: []step{
			{allocated: quiet, held: live + 20<<20},
			{allocated: quiet, held: live + 20<<20, wantTrim: true, afterTrim: live},
		}},
		{name: "idle with plenty of garbage trims after one quiet sample", steps: []step{
			{allocated: busy, held: live + plentyReclaimable},
			{allocated: quiet, held: live + plentyReclaimable, wantTrim: true, afterTrim: live},
		}},
		{name: "plenty counts above what the last trim could not give back", steps: []step{
			{allocated: quiet, held: live + 20<<20},
			{allocated: quiet, held: live + 20<<20, wantTrim: true, afterTrim: live + 20<<20},
			{allocated: busy, held: live + 20<<20 + plentyReclaimable - 1},
			{allocated: quiet, held: live + 20<<20 + plentyReclaimable - 1},
			{allocated: quiet, held: live + 20<<20 + plentyReclaimable - 1, wantTrim: true, afterTrim: live + 20<<20},
		}},
		{name: "busy never trims", steps: []step{
			{allocated: busy, held: live + 50<<20},
			{allocated: busy, held: live + 50<<20},
			{allocated: busy, held: live + 50<<20},
		}},
		{name: "a pause between bursts is not idleness", steps: []step{
			{allocated: busy, held: live + 30<<20},
			{allocated: quiet, held: live + 30<<20},
			{allocated: busy, held: live + 30<<20},
			{allocated: quiet, held: live + 30<<20},
		}},
		{name: "idle without much garbage waits for it", steps: []step{
			{allocated: quiet, held: live + 1<<20},
			{allocated: quiet, held: live + 2<<20},
			{allocated: quiet, held: live + minReclaimable, wantTrim: true, afterTrim: live},
		}},
		{name: "what a trim cannot give back does not count", steps: []step{
			{allocated: quiet, held: live + 20<<20},
			{allocated: quiet, held: live + 20<<20, wantTrim: true, afterTrim: live + 7<<20},
			{allocated: quiet, held: live + 7<<20 + 1<<20},
			{allocated: quiet, held: live + 7<<20 + 2<<20},
			{allocated: quiet, held: live + 7<<20 + minReclaimable, wantTrim: true, afterTrim: live + 7<<20},
		}},
		{name: "idle without garbage trims the executable's pages every executableChecks samples",
			steps: append(append(quietSteps(executableChecks-1),
				step{allocated: quiet, held: live, wantExecutable: true}),
				append(quietSteps(executableChecks-1),
					step{allocated: quiet, held: live, wantExecutable: true})...)},
		{name: "a heap trim brings the executable's and restarts its count",
			steps: append(append(quietSteps(executableChecks-5),
				step{allocated: quiet, held: live + 20<<20, wantTrim: true, afterTrim: live}),
				append(quietSteps(executableChecks-1),
					step{allocated: quiet, held: live, wantExecutable: true})...)},
		{name: "busy never trims the executable's pages", steps: append(
			append(quietSteps(executableChecks-1), step{allocated: busy, held: live}, step{allocated: busy, held: live}),
			step{allocated: quiet, held: live}, step{allocated: quiet, held: live, wantExecutable: true})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tr idleTrimmer
			var allocs uint64
			for i, s := range tc.steps {
				allocs += s.allocated
				sample := heapSample{allocs: allocs, held: s.held, live: live}
				heap, executable := tr.observe(sample, second)
				if heap != s.wantTrim || executable != (s.wantTrim || s.wantExecutable) {
					t.Fatalf("step %d: trim heap %v, executable %v; want %v, %v", i, heap, executable,
						s.wantTrim, s.wantTrim || s.wantExecutable)
				}
				if s.wantTrim {
					tr.trimmed(heapSample{allocs: allocs, held: s.afterTrim, live: live})
				}
			}
		})
	}
}

// TestReadHeapSample checks that the runtime metrics the trimmer reads exist
// under these names: a renamed metric would read as zero and never trim.
func TestReadHeapSample(t *testing.T) {
	samples := newHeapSamples()
	sink := make([][]byte, 0, 64)
	for range 64 {
		sink = append(sink, make([]byte, 16<<10))
	}
	s := readHeapSample(samples)
	if s.allocs < 1<<20 {
		t.Errorf("allocs = %d after allocating 1 MiB", s.allocs)
	}
	for i, m := range samples {
		if m.Value.Kind() == metrics.KindBad {
			t.Errorf("runtime metric %s is unknown", heapMetrics[i])
		}
	}
	_ = sink
}
