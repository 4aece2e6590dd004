package filters

import (
	"sync"
	"testing"
)

// deepCall recurses n frames of ~256 bytes each, as a request through the handler
// chain and managed fields does.
//
//go:noinline
func deepCall(n int) byte {
	var pad [200]byte
	if n == 0 {
		return pad[n]
	}
	return deepCall(n-1) + pad[n%len(pad)]
}

// BenchmarkRequestGoroutine runs a deep call on a new goroutine, as each request
// does, with and without growing its stack first.
func BenchmarkRequestGoroutine(b *testing.B) {
	for _, tc := range []struct {
		name string
		grow bool
	}{{"small stack", false}, {"grown first", true}} {
		b.Run(tc.name, func(b *testing.B) {
			var wg sync.WaitGroup
			for b.Loop() {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if tc.grow {
						growStack()
					}
					deepCall(80)
				}()
				wg.Wait()
			}
		})
	}
}
