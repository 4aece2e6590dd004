package etcdlocal_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// TestWatchStreamUnderLoad drives the client's watches the way the watch caches
// do, all at once: watches opened while events flow, progress requests
// sent without pause, writers on every prefix. Every watch must see every write to
// its prefix, in order, and nothing may stall.
func TestWatchStreamUnderLoad(t *testing.T) {
	client := etcdtest.StartInProcess(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const prefixes, writesPerPrefix = 16, 100

	stopProgress := make(chan struct{})
	var progress sync.WaitGroup
	progress.Go(func() {
		for {
			select {
			case <-stopProgress:
				return
			default:
			}
			_ = client.RequestProgress(ctx)
		}
	})

	var writers sync.WaitGroup
	start := make(chan struct{})
	for p := range prefixes {
		writers.Go(func() {
			<-start
			for i := range writesPerPrefix {
				if _, err := client.Put(ctx, fmt.Sprintf("/load/%02d/%04d", p, i), "v"); err != nil {
					t.Errorf("put: %v", err)
					return
				}
			}
		})
	}
	close(start)

	var watchers sync.WaitGroup
	for p := range prefixes {
		wch := client.Watch(ctx, fmt.Sprintf("/load/%02d/", p), clientv3.WithPrefix(), clientv3.WithRev(1), clientv3.WithProgressNotify())
		watchers.Go(func() {
			next := 0
			for next < writesPerPrefix {
				resp, ok := <-wch
				if !ok {
					t.Errorf("prefix %d: watch closed after %d events: %v", p, next, ctx.Err())
					return
				}
				if err := resp.Err(); err != nil {
					t.Errorf("prefix %d: %v", p, err)
					return
				}
				for _, ev := range resp.Events {
					if want := fmt.Sprintf("/load/%02d/%04d", p, next); string(ev.Kv.Key) != want {
						t.Errorf("prefix %d: got %s, want %s", p, ev.Kv.Key, want)
						return
					}
					next++
				}
			}
		})
		time.Sleep(time.Millisecond) // watches keep opening while events flow
	}
	watchers.Wait()
	writers.Wait()
	close(stopProgress)
	progress.Wait()
}
