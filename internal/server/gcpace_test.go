package server

import (
	"runtime/debug"
	"testing"
)

func TestGCPercentFor(t *testing.T) {
	tests := []struct {
		name string
		live uint64
		want int
	}{
		{name: "nothing measured yet keeps Go's default", live: 0, want: 100},
		{name: "a tiny heap is bounded by maxGCPercent", live: 1 << 20, want: maxGCPercent},
		{name: "a quarter of the headroom grows by it", live: gcHeadroom / 4, want: 400},
		{name: "half the headroom grows by it", live: gcHeadroom / 2, want: 200},
		{name: "a heap of the headroom is Go's default", live: gcHeadroom, want: 100},
		{name: "a large heap never goes under Go's default", live: 8 * gcHeadroom, want: 100},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := gcPercentFor(tc.live); got != tc.want {
				t.Errorf("gcPercentFor(%d) = %d, want %d", tc.live, got, tc.want)
			}
		})
	}
}

func TestCollectorPacerObserve(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name  string
		fixed bool
		lives []uint64
		want  []int // the percentages set, in order
	}{
		{name: "a small heap is given room at once", lives: []uint64{20 * mib}, want: []int{maxGCPercent}},
		{name: "a growing heap gets less", lives: []uint64{20 * mib, 40 * mib, 64 * mib, 200 * mib},
			want: []int{maxGCPercent, 320, 200, 100}},
		{name: "small changes wait", lives: []uint64{64 * mib, 65 * mib, 66 * mib, 70 * mib},
			want: []int{200, 182}},
		{name: "the bounds are reached by small changes too", lives: []uint64{100 * mib, 126 * mib, 128 * mib, 33 * mib, 32 * mib},
			want: []int{128, 101, 100, 387, maxGCPercent}},
		{name: "the same heap sets nothing again", lives: []uint64{20 * mib, 20 * mib, 21 * mib}, want: []int{maxGCPercent}},
		{name: "a percentage the user chose is kept", fixed: true, lives: []uint64{20 * mib, 200 * mib}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []int
			p := &collectorPacer{fixed: tc.fixed, percent: 100, set: func(percent int) { got = append(got, percent) }}
			for _, live := range tc.lives {
				p.observe(live)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("set %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("set %v, want %v", got, tc.want)
				}
			}
		})
	}
}

// TestCollectorPacerSetsRuntime checks that the pacer's setter reaches the runtime.
func TestCollectorPacerSetsRuntime(t *testing.T) {
	p := newCollectorPacer()
	p.fixed = false // even where the test runs with GOGC set
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	p.observe(1 << 20)
	if got := debug.SetGCPercent(100); got != maxGCPercent {
		t.Errorf("the runtime's percentage is %d after a tiny live heap, want %d", got, maxGCPercent)
	}
}
