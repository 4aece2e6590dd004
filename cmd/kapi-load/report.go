package main

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
)

// reporter prints one figure per line as "name value unit" so that the output can be
// diffed between runs and parsed with awk. Names are stable (the README lists them).
type reporter struct {
	mu  sync.Mutex // guards out
	out io.Writer
}

// figure writes one line. A value that is not finite is printed as NaN so that a
// broken measurement is visible rather than silently absent.
func (r *reporter) figure(name string, value float64, unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, "%s %s %s\n", name, formatValue(value), unit)
}

// count writes one line whose value is a whole number of things.
func (r *reporter) count(name string, n int, unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.out, "%s %d %s\n", name, n, unit)
}

// formatValue keeps about three significant digits without scientific notation:
// large figures lose their fractions, small ones keep enough to be told apart.
func formatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "NaN"
	}
	abs := math.Abs(v)
	prec := 0
	switch {
	case abs == 0 || abs >= 100:
		prec = 0
	case abs >= 10:
		prec = 1
	case abs >= 1:
		prec = 2
	default:
		prec = 3
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of samples,
// which it sorts in place. The p50 of 7 samples is the 4th smallest. No samples
// give 0 and false.
func percentile(samples []time.Duration, p float64) (time.Duration, bool) {
	if len(samples) == 0 || p <= 0 || p > 100 || math.IsNaN(p) {
		return 0, false
	}
	slices.Sort(samples)
	rank := int(math.Ceil(p / 100 * float64(len(samples))))
	if rank < 1 {
		rank = 1
	}
	return samples[rank-1], true
}

// perSecond is n operations over elapsed, as a rate.
func perSecond(n int, elapsed time.Duration) float64 {
	if elapsed <= 0 {
		return math.NaN()
	}
	return float64(n) / elapsed.Seconds()
}

// millis is d in milliseconds, with fractions.
func millis(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// scaled applies the --scale multiplier to a full-scale count, never going below 1
// so that every phase still does something at a tiny scale.
func scaled(full int, scale float64) int {
	n := int(math.Round(float64(full) * scale))
	if n < 1 {
		return 1
	}
	return n
}
