package server

import (
	"os"
	"runtime/debug"
)

// Go's collector runs each time the heap has grown by GOGC percent (100 unless set)
// of what the last collection found live, and a collection costs about the same
// whatever the garbage: marking the live heap and every goroutine's stack. So at
// GOGC=100 the collector takes the same share of the CPU whether the live heap is
// small or large, and for kapi under a stream of creates that was 13-15% of its
// CPU, while its live heap is small (20 MiB idle, 50 MiB holding 10,000 ConfigMaps).
// kapi lets a small live heap grow by gcHeadroom instead: the collector's
// percentage is raised to give it that room, up to maxGCPercent, and falls back to
// 100 once the live heap passes gcHeadroom. The cost is memory: up to gcHeadroom of
// garbage between two collections, and the partly used spans the last ones leave,
// which no collection returns (some 20 MiB more after 10,000 pods were created).
// The idle trimmer gives the free pages back once the server is idle.
const (
	gcHeadroom = 128 << 20
	// maxGCPercent bounds the percentage for a tiny live heap.
	maxGCPercent = 400
	// gcPercentStep is the least change of the percentage worth making, so that a
	// live heap that wavers does not move the collector's pacing every second.
	gcPercentStep = 10
)

// collectorPacer sets the collector's percentage from the live heap.
type collectorPacer struct {
	// fixed is whether the user chose the percentage (GOGC), which kapi keeps.
	fixed   bool
	percent int // the percentage in force
	set     func(percent int)
}

func newCollectorPacer() *collectorPacer {
	_, fixed := os.LookupEnv("GOGC")
	return &collectorPacer{fixed: fixed, percent: 100, set: func(percent int) { debug.SetGCPercent(percent) }}
}

// gcPercentFor is the percentage that lets a live heap of live bytes grow by
// gcHeadroom, within [100, maxGCPercent]; 100 while nothing was measured yet.
func gcPercentFor(live uint64) int {
	if live == 0 {
		return 100
	}
	return int(min(max(gcHeadroom*100/live, 100), maxGCPercent))
}

// observe sets the collector's percentage for the live heap the last collection
// found.
func (p *collectorPacer) observe(live uint64) {
	if p.fixed {
		return
	}
	want := gcPercentFor(live)
	// Small changes wait, but the bounds are always reached.
	atBound := want == 100 || want == maxGCPercent
	if want == p.percent || (!atBound && abs(want-p.percent) < gcPercentStep) {
		return
	}
	p.percent = want
	p.set(want)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
