package parallel

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	cases := []struct {
		name    string
		workers int
		results []error // one job per entry, returning it
		want    []error // errors.Is must hold for each
		wantNil bool
	}{
		{name: "no jobs", workers: 4, wantNil: true},
		{name: "all succeed", workers: 2, results: []error{nil, nil, nil}, wantNil: true},
		{name: "one fails, the others run", workers: 2, results: []error{nil, errA, nil}, want: []error{errA}},
		{name: "every failure is kept", workers: 3, results: []error{errA, nil, errB}, want: []error{errA, errB}},
		{name: "no workers still runs", workers: 0, results: []error{errA}, want: []error{errA}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ran atomic.Int32
			jobs := countedJobs(c.results, &ran)
			err := Run(c.workers, jobs...)
			if int(ran.Load()) != len(jobs) {
				t.Errorf("ran %d jobs, want %d", ran.Load(), len(jobs))
			}
			if c.wantNil != (err == nil) {
				t.Fatalf("err = %v, want nil: %v", err, c.wantNil)
			}
			for _, w := range c.want {
				if !errors.Is(err, w) {
					t.Errorf("err = %v, want it to hold %v", err, w)
				}
			}
		})
	}
}

// TestRunBoundsConcurrency checks that no more than workers jobs run at once and
// that they do overlap.
func TestRunBoundsConcurrency(t *testing.T) {
	const workers = 3
	var running, peak atomic.Int32
	jobs := make([]func() error, 20)
	for i := range jobs {
		jobs[i] = func() error {
			n := running.Add(1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			time.Sleep(5 * time.Millisecond)
			running.Add(-1)
			return nil
		}
	}
	if err := Run(workers, jobs...); err != nil {
		t.Fatal(err)
	}
	if p := peak.Load(); p > workers || p < 2 {
		t.Errorf("peak concurrency %d, want 2..%d", p, workers)
	}
}

func TestUntilError(t *testing.T) {
	errA, errB := errors.New("a failed"), errors.New("b failed")
	cases := []struct {
		name    string
		workers int
		results []error
		want    error
		wantRan int // with one worker, the jobs after a failure do not run
	}{
		{name: "no jobs", workers: 1},
		{name: "all succeed", workers: 1, results: []error{nil, nil}, wantRan: 2},
		{name: "stops after the first failure", workers: 1, results: []error{nil, errA, nil, errB}, want: errA, wantRan: 2},
		{name: "first job fails", workers: 0, results: []error{errB, nil}, want: errB, wantRan: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ran atomic.Int32
			jobs := countedJobs(c.results, &ran)
			if err := UntilError(c.workers, jobs...); err != c.want {
				t.Errorf("err = %v, want %v", err, c.want)
			}
			if int(ran.Load()) != c.wantRan {
				t.Errorf("ran %d jobs, want %d", ran.Load(), c.wantRan)
			}
		})
	}
}

// countedJobs returns a job per result, each counting its run in ran and
// returning its result.
func countedJobs(results []error, ran *atomic.Int32) []func() error {
	jobs := make([]func() error, len(results))
	for i, res := range results {
		jobs[i] = func() error { ran.Add(1); return res }
	}
	return jobs
}
