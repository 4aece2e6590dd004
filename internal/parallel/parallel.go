// Package parallel runs independent jobs on a bounded number of goroutines.
//
// kapi's start-up writes a few hundred bootstrap objects (RBAC policy, flow
// control, APIServices). One after the other, each waits for its own etcd commit
// and disk sync; written together, etcd commits them in shared batches, which is
// most of what keeps kapi's start under half a second. A DELETE of a collection
// uses it too (--delete-collection-workers).
package parallel

import (
	"errors"
	"sync"
	"sync/atomic"
)

// Run runs every job, at most workers at a time, and returns once all have
// returned: the errors of those that failed, joined in the jobs' order, or nil.
// A failing job does not stop the others.
func Run(workers int, jobs ...func() error) error {
	errs := make([]error, len(jobs))
	if workers <= 1 || len(jobs) <= 1 {
		// One at a time needs no goroutine (DeleteCollection's default).
		for i, job := range jobs {
			errs[i] = job()
		}
		return errors.Join(errs...)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(workers, len(jobs)) {
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

// UntilError runs the jobs as Run does, except that once a job has failed no
// further job starts; it returns the first failure, or nil.
func UntilError(workers int, jobs ...func() error) error {
	var failed atomic.Bool
	var once sync.Once
	var first error
	guarded := make([]func() error, len(jobs))
	for i, job := range jobs {
		guarded[i] = func() error {
			if failed.Load() {
				return nil
			}
			if err := job(); err != nil {
				failed.Store(true)
				once.Do(func() { first = err })
			}
			return nil
		}
	}
	_ = Run(workers, guarded...)
	return first
}
