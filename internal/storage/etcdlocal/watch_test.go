package etcdlocal_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// seen is what a watch delivered, in a form two clients can be compared by: every
// event (with its previous value) and how the watch ended.
type seen struct {
	events []string
	end    string
}

// collect reads wch until it has want events, a response carries an error or the
// channel closes, and then briefly longer, so that an extra event shows; at most
// five seconds in all.
func collect(t *testing.T, wch clientv3.WatchChan, want int) seen {
	t.Helper()
	var s seen
	linger := time.After(5 * time.Second)
	for {
		select {
		case resp, ok := <-wch:
			if !ok {
				if s.end == "" {
					s.end = "closed"
				}
				return s
			}
			if resp.Created {
				s.events = append(s.events, fmt.Sprintf("created canceled=%v", resp.Canceled))
			}
			for _, e := range resp.Events {
				ev := fmt.Sprintf("%s %s=%s create=%d mod=%d version=%d", e.Type, e.Kv.Key, e.Kv.Value,
					e.Kv.CreateRevision, e.Kv.ModRevision, e.Kv.Version)
				if e.PrevKv != nil {
					ev += fmt.Sprintf(" prev=%s@%d", e.PrevKv.Value, e.PrevKv.ModRevision)
				}
				s.events = append(s.events, ev)
			}
			if err := resp.Err(); err != nil {
				s.end = fmt.Sprintf("error %v compact=%d", err, resp.CompactRevision)
				return s
			}
			if len(s.events) >= want {
				linger = time.After(200 * time.Millisecond)
			}
		case <-linger:
			return s
		}
	}
}

// TestWatchMatchesGRPC opens the same watches through etcd's gRPC client and the
// in-process one, on one member, over a history written before and while they
// watch: both must deliver the same events and end the same way.
func TestWatchMatchesGRPC(t *testing.T) {
	remote, local := etcdtest.StartBoth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	put := func(k, v string) int64 {
		resp, err := remote.Put(ctx, k, v)
		if err != nil {
			t.Fatal(err)
		}
		return resp.Header.Revision
	}
	del := func(k string) {
		if _, err := remote.Delete(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	// The history before the watches: the compacted part, then what they replay.
	put("/w/old", "0")
	compacted := put("/w/old", "1")
	if _, err := remote.Compact(ctx, compacted); err != nil {
		t.Fatal(err)
	}
	start := put("/w/a", "1")
	put("/w/b", "1")
	put("/w/a", "2")
	del("/w/b")
	put("/x/outside", "1")
	// What they see live.
	live := func() {
		put("/w/c", "1")
		put("/w/a", "3")
		del("/w/a")
		put("/w/b", "2")
	}

	cases := []struct {
		name string
		key  string
		opts []clientv3.OpOption
		want int // events, both replayed and live
	}{
		{"prefix", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(start)}, 8},
		{"prefix with previous values", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(start), clientv3.WithPrevKV()}, 8},
		{"one key", "/w/a", []clientv3.OpOption{clientv3.WithRev(start), clientv3.WithPrevKV()}, 4},
		{"range", "/w/a", []clientv3.OpOption{clientv3.WithRange("/w/c"), clientv3.WithRev(start)}, 7},
		{"from a key on", "/w/b", []clientv3.OpOption{clientv3.WithFromKey(), clientv3.WithRev(start)}, 5},
		{"no puts", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(start), clientv3.WithFilterPut()}, 2},
		{"no deletes", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(start), clientv3.WithFilterDelete()}, 6},
		{"from now", "/w/", []clientv3.OpOption{clientv3.WithPrefix()}, 4},
		{"created notification", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithCreatedNotify()}, 5},
		{"compacted revision", "/w/", []clientv3.OpOption{clientv3.WithPrefix(), clientv3.WithRev(compacted - 1)}, 0},
	}
	type watches struct{ remote, local clientv3.WatchChan }
	opened := make([]watches, len(cases))
	for i, tc := range cases {
		opened[i] = watches{remote.Watch(ctx, tc.key, tc.opts...), local.Watch(ctx, tc.key, tc.opts...)}
	}
	time.Sleep(100 * time.Millisecond) // "from now" watches are registered before the live writes
	live()
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := collect(t, opened[i].remote, tc.want)
			got := collect(t, opened[i].local, tc.want)
			if tc.want == 0 && !strings.HasPrefix(want.end, "error") {
				t.Errorf("gRPC watch ended %q, the case expects an error", want.end)
			}
			if len(want.events) != tc.want {
				t.Errorf("gRPC watch saw %d events, the case expects %d: %q", len(want.events), tc.want, want.events)
			}
			if !slices.Equal(got.events, want.events) || got.end != want.end {
				t.Errorf("in-process watch:\n%q end %q\ngRPC watch:\n%q end %q", got.events, got.end, want.events, want.end)
			}
		})
	}
}

// TestWatchProgress checks the progress notifications of in-process watches: one
// on request for a watch that has sent everything, at the store's revision, and
// periodic ones for watches that asked for them.
func TestWatchProgress(t *testing.T) {
	remote, local := etcdtest.StartBoth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := remote.Put(ctx, "/p/a", "1")
	if err != nil {
		t.Fatal(err)
	}
	rev := resp.Header.Revision

	wantProgress := func(t *testing.T, wch clientv3.WatchChan) {
		t.Helper()
		select {
		case r := <-wch:
			if !r.IsProgressNotify() || r.Header.Revision != rev {
				t.Fatalf("got %+v, want a progress notification at %d", r, rev)
			}
		case <-ctx.Done():
			t.Fatal("no progress notification")
		}
	}
	t.Run("requested", func(t *testing.T) {
		wch := local.Watch(ctx, "/p/", clientv3.WithPrefix())
		time.Sleep(50 * time.Millisecond) // registered
		if err := local.RequestProgress(ctx); err != nil {
			t.Fatal(err)
		}
		wantProgress(t, wch)
	})
	t.Run("periodic", func(t *testing.T) {
		start := time.Now()
		wch := local.Watch(ctx, "/p/", clientv3.WithPrefix(), clientv3.WithProgressNotify())
		wantProgress(t, wch)
		if d := time.Since(start); d < etcdtest.ProgressNotifyInterval/2 {
			t.Errorf("first periodic notification after %v, want about %v", d, etcdtest.ProgressNotifyInterval)
		}
	})
}

// TestWatchEventsNotShared: two watches of one key get the same event as objects of
// their own, so that a reader changing its copy (etcdview decrypting in place)
// does not change the other's.
func TestWatchEventsNotShared(t *testing.T) {
	_, local := etcdtest.StartBoth(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a := local.Watch(ctx, "/s/", clientv3.WithPrefix())
	b := local.Watch(ctx, "/s/", clientv3.WithPrefix())
	time.Sleep(50 * time.Millisecond)
	if _, err := local.Put(ctx, "/s/k", "value"); err != nil {
		t.Fatal(err)
	}
	ra, rb := <-a, <-b
	if len(ra.Events) != 1 || len(rb.Events) != 1 {
		t.Fatalf("events %d and %d, want 1 each", len(ra.Events), len(rb.Events))
	}
	ra.Events[0].Kv.Value = []byte("changed")
	if got := string(rb.Events[0].Kv.Value); got != "value" {
		t.Errorf("the other watch's value is %q after one watch changed its own", got)
	}
}

// TestWatchEndsWithContextAndClose: a watch's channel closes when its context ends,
// and every open one when the client closes.
func TestWatchEndsWithContextAndClose(t *testing.T) {
	_, local := etcdtest.StartBoth(t)
	ctx, cancel := context.WithCancel(context.Background())
	wch := local.Watch(ctx, "/c/", clientv3.WithPrefix())
	cancel()
	expectClosed(t, wch)

	open := local.Watch(context.Background(), "/c/", clientv3.WithPrefix())
	if err := local.Watcher.Close(); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, open)
	expectClosed(t, local.Watch(context.Background(), "/c/", clientv3.WithPrefix()))
}

func expectClosed(t *testing.T, wch clientv3.WatchChan) {
	t.Helper()
	select {
	case resp, ok := <-wch:
		if ok {
			t.Fatalf("got %+v, want the channel closed", resp)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("channel not closed")
	}
}

// BenchmarkWriteWatched is one write and its event read from a watch, with the
// watch served over gRPC and in-process (the write itself in-process both times),
// as a watch cache sees each write of its resource.
func BenchmarkWriteWatched(b *testing.B) {
	remote, local := etcdtest.StartBoth(b)
	for _, bc := range []struct {
		name    string
		watcher *clientv3.Client
	}{{"grpc", remote}, {"in-process", local}} {
		b.Run(bc.name, func(b *testing.B) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			prefix := "/bench/" + bc.name + "/"
			wch := bc.watcher.Watch(ctx, prefix, clientv3.WithPrefix(), clientv3.WithPrevKV())
			value := strings.Repeat("v", 1024)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				if _, err := local.Put(ctx, prefix+strconv.Itoa(i%100), value); err != nil {
					b.Fatal(err)
				}
				if resp := <-wch; len(resp.Events) != 1 {
					b.Fatalf("got %+v, want one event", resp)
				}
			}
		})
	}
}
