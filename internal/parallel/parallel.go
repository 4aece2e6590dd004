// Package parallel runs independent jobs on a bounded number of goroutines.
//
// kapi's start-up writes a few hundred bootstrap objects (RBAC policy, flow
// control, APIServices). One after the other, each waits for its own etcd commit
// and disk sync; written together, etcd commits them in shared batches, which is
// most of what keeps kapi's start under half a second.
package parallel

import (
	"errors"
	"sync"
)

// Run runs every job, at most workers at a time, and returns once all have
// returned: the errors of those that failed, joined in the jobs' order, or nil.
// A failing job does not stop the others.
func Run(workers int, jobs ...func() error) error {
	errs := make([]error, len(jobs))
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(workers, len(jobs))) {
		wg.Go(func() {
			for i := range next {
				errs[i] = jobs[i]()
			}
		})
	}
	for i := range jobs {
		next <- i
	}
	close(next)
	wg.Wait()
	return errors.Join(errs...)
}
