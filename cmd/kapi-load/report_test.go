package main

import (
	"bytes"
	"math"
	"testing"
	"time"
)

func TestFormatValue(t *testing.T) {
	cases := []struct {
		name string
		in   float64
		want string
	}{
		{"zero", 0, "0"},
		{"large drops fractions", 2850.7, "2851"},
		{"exactly one hundred", 100, "100"},
		{"tens keep one decimal", 12.345, "12.3"},
		{"units keep two decimals", 1.555, "1.55"},
		{"fractions keep three decimals", 0.01234, "0.012"},
		{"negative growth", -12.34, "-12.3"},
		{"not a number", math.NaN(), "NaN"},
		{"infinity", math.Inf(1), "NaN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := formatValue(c.in); got != c.want {
				t.Errorf("formatValue(%v) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name    string
		samples []time.Duration
		p       float64
		want    time.Duration
		ok      bool
	}{
		{"no samples", nil, 50, 0, false},
		{"one sample p50", ms(7), 50, 7 * time.Millisecond, true},
		{"one sample p99", ms(7), 99, 7 * time.Millisecond, true},
		{"p50 of seven is the fourth", ms(70, 10, 60, 20, 50, 30, 40), 50, 40 * time.Millisecond, true},
		{"p50 of even count is the lower middle", ms(4, 1, 3, 2), 50, 2 * time.Millisecond, true},
		{"p99 of 100 is the 99th", ms(seq(100)...), 99, 99 * time.Millisecond, true},
		{"p99 of 1000 is the 990th", ms(seq(1000)...), 99, 990 * time.Millisecond, true},
		{"p100 is the max", ms(3, 9, 1), 100, 9 * time.Millisecond, true},
		{"tiny p is the min", ms(3, 9, 1), 0.0001, 1 * time.Millisecond, true},
		{"p zero is invalid", ms(1), 0, 0, false},
		{"p above 100 is invalid", ms(1), 101, 0, false},
		{"p NaN is invalid", ms(1), math.NaN(), 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := percentile(c.samples, c.p)
			if got != c.want || ok != c.ok {
				t.Errorf("percentile(p%v) = %v, %v; want %v, %v", c.p, got, ok, c.want, c.ok)
			}
		})
	}
}

// seq is 1..n.
func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i + 1
	}
	return out
}

func TestPerSecondAndScaled(t *testing.T) {
	rates := []struct {
		name    string
		n       int
		elapsed time.Duration
		want    float64
	}{
		{"5000 in 2s", 5000, 2 * time.Second, 2500},
		{"one in 1ms", 1, time.Millisecond, 1000},
		{"zero time", 10, 0, math.NaN()},
	}
	for _, c := range rates {
		t.Run("perSecond/"+c.name, func(t *testing.T) {
			got := perSecond(c.n, c.elapsed)
			if got != c.want && !(math.IsNaN(got) && math.IsNaN(c.want)) {
				t.Errorf("perSecond(%d, %v) = %v, want %v", c.n, c.elapsed, got, c.want)
			}
		})
	}
	counts := []struct {
		name  string
		full  int
		scale float64
		want  int
	}{
		{"full scale", 5000, 1, 5000},
		{"CI scale", 5000, 0.01, 50},
		{"rounds", 50, 0.01, 1},
		{"never below one", 100, 0.001, 1},
		{"larger than full", 100, 2.5, 250},
	}
	for _, c := range counts {
		t.Run("scaled/"+c.name, func(t *testing.T) {
			if got := scaled(c.full, c.scale); got != c.want {
				t.Errorf("scaled(%d, %v) = %d, want %d", c.full, c.scale, got, c.want)
			}
		})
	}
}

func TestReporterLines(t *testing.T) {
	var buf bytes.Buffer
	r := &reporter{out: &buf}
	r.figure("create_configmaps_per_sec", 2850.2, "req/s")
	r.count("watch_deliveries_received", 50000, "events")
	r.figure("get_configmap_p50_ms", 1.234, "ms")
	want := "create_configmaps_per_sec 2850 req/s\nwatch_deliveries_received 50000 events\nget_configmap_p50_ms 1.23 ms\n"
	if buf.String() != want {
		t.Errorf("output:\n%s\nwant:\n%s", buf.String(), want)
	}
}
