package etcdlocal

import (
	"context"
	"sync"
	"time"

	pb "go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/etcdserver"
	"go.etcd.io/etcd/server/v3/storage/mvcc"
)

// defaultProgressInterval is etcd's own default for the notifications of watches
// that ask for progress (clientv3.WithProgressNotify).
const defaultProgressInterval = 10 * time.Minute

// watcher is a clientv3.Watcher that reads the member's multi-version store
// directly: each Watch is one watch on a stream of its own, and its responses are
// those etcd's gRPC watch service would send for it (previous values, progress
// notifications, compaction) without their encoding, framing and loopback trip.
// A consumer that falls behind makes etcd hold its events and catch it up later, as
// with gRPC; nothing here blocks the store.
type watcher struct {
	server           *etcdserver.EtcdServer
	progressInterval time.Duration

	mu      sync.Mutex // guards streams and closed
	streams map[*stream]struct{}
	closed  bool
	stop    chan struct{} // closed by Close
	wg      sync.WaitGroup
}

func newWatcher(server *etcdserver.EtcdServer, progressInterval time.Duration) *watcher {
	if progressInterval <= 0 {
		progressInterval = defaultProgressInterval
	}
	return &watcher{server: server, progressInterval: progressInterval,
		streams: map[*stream]struct{}{}, stop: make(chan struct{})}
}

// stream is one Watch: its store watch and the goroutine that forwards it.
type stream struct {
	ws       mvcc.WatchStream
	id       mvcc.WatchID
	prevKV   bool
	progress bool // periodic progress notifications asked for
	out      chan clientv3.WatchResponse
}

func (w *watcher) Watch(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
	op := clientv3.OpGet(key, opts...)
	out := make(chan clientv3.WatchResponse, 1)
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		close(out)
		return out
	}
	if op.Rev() < 0 {
		out <- clientv3.WatchResponse{Header: w.header(w.server.KV().Rev()), Created: true, Canceled: true,
			CancelReason: rpctypes.ErrCompacted.Error()}
		close(out)
		return out
	}
	k, end := watchRange(op)
	ws := w.server.KV().NewWatchStream()
	id, err := ws.Watch(ctx, clientv3.AutoWatchID, k, end, op.Rev(), filters(op)...)
	if err != nil {
		ws.Close()
		out <- clientv3.WatchResponse{Header: w.header(w.server.KV().Rev()), Created: true, Canceled: true,
			CancelReason: err.Error()}
		close(out)
		return out
	}
	s := &stream{ws: ws, id: id, prevKV: op.IsPrevKV(), progress: op.IsProgressNotify(), out: out}
	if op.IsCreatedNotify() {
		out <- clientv3.WatchResponse{Header: w.header(ws.Rev()), Created: true}
	}
	w.streams[s] = struct{}{}
	w.wg.Add(1)
	go w.run(ctx, s)
	return out
}

// watchRange is the store's form of op's key range, as etcd's watch service
// makes it: an empty key is the smallest key, no end watches one key, and an end
// of "\x00" watches every key from key on.
func watchRange(op clientv3.Op) (key, end []byte) {
	key, end = op.KeyBytes(), op.RangeBytes()
	if len(key) == 0 {
		key = []byte{0}
	}
	switch {
	case len(end) == 0:
		end = nil
	case len(end) == 1 && end[0] == 0:
		end = []byte{}
	}
	return key, end
}

// filters are op's WithFilterPut and WithFilterDelete in the store's form: a
// filter that returns true drops the event.
func filters(op clientv3.Op) []mvcc.FilterFunc {
	var fs []mvcc.FilterFunc
	if op.IsFilterPut() {
		fs = append(fs, func(e *mvccpb.Event) bool { return e.Type == mvccpb.Event_PUT })
	}
	if op.IsFilterDelete() {
		fs = append(fs, func(e *mvccpb.Event) bool { return e.Type == mvccpb.Event_DELETE })
	}
	return fs
}

// run forwards s's responses until the watch's context ends, etcd compacts away
// revisions it still had to send, the member stops or the watcher is closed.
func (w *watcher) run(ctx context.Context, s *stream) {
	defer w.wg.Done()
	defer func() {
		w.mu.Lock()
		delete(w.streams, s)
		w.mu.Unlock()
		s.ws.Close()
		close(s.out)
	}()
	var tick <-chan time.Time
	if s.progress {
		t := time.NewTicker(w.progressInterval)
		defer t.Stop()
		tick = t.C
	}
	sentEvents := false // since the last tick
	for {
		select {
		case resp, ok := <-s.ws.Chan():
			if !ok {
				return
			}
			out := w.translate(s, resp)
			select {
			case s.out <- out:
			case <-ctx.Done():
				return
			case <-w.stop:
				return
			}
			if out.CompactRevision != 0 {
				return // etcd has dropped the watch
			}
			sentEvents = sentEvents || len(out.Events) > 0
		case <-tick:
			// As etcd does: a watch that had events since the last tick needs no
			// notification; one that is catching up gets none.
			if !sentEvents {
				s.ws.RequestProgress(s.id)
			}
			sentEvents = false
		case <-ctx.Done():
			return
		case <-w.stop:
			return
		case <-w.server.StopNotify():
			w.sendStopped(ctx, s)
			return
		}
	}
}

// translate turns a store response into the client's form. Events are the
// store's, shared by every watch of their keys, so each gets its own copy, which
// its reader may change (etcdview decrypts values in place).
func (w *watcher) translate(s *stream, resp mvcc.WatchResponse) clientv3.WatchResponse {
	out := clientv3.WatchResponse{Header: w.header(resp.Revision), CompactRevision: resp.CompactRevision}
	if resp.CompactRevision != 0 {
		out.Canceled = true
		return out
	}
	if len(resp.Events) == 0 {
		return out
	}
	out.Events = make([]*clientv3.Event, len(resp.Events))
	kvs := make([]mvccpb.KeyValue, len(resp.Events))
	for i, e := range resp.Events {
		kv := &kvs[i]
		copyKV(kv, e.Kv)
		ev := &clientv3.Event{Type: e.Type, Kv: kv}
		if s.prevKV && !isCreate(e) {
			// The value before this event, as etcd's watch service finds it: gone
			// once compacted. Not under the watch's context, which would drop it
			// when canceled while this event may still be read.
			r, err := w.server.KV().Range(context.Background(), e.Kv.Key, nil, mvcc.RangeOptions{Rev: e.Kv.ModRevision - 1})
			if err == nil && len(r.KVs) != 0 {
				ev.PrevKv = r.KVs[0]
			}
		}
		out.Events[i] = ev
	}
	return out
}

func isCreate(e *mvccpb.Event) bool {
	return e.Type == mvccpb.Event_PUT && e.Kv.CreateRevision == e.Kv.ModRevision
}

// copyKV copies src's fields into dst; the key and value bytes are shared, never
// written by either side.
func copyKV(dst, src *mvccpb.KeyValue) {
	dst.Key, dst.Value = src.Key, src.Value
	dst.CreateRevision, dst.ModRevision = src.CreateRevision, src.ModRevision
	dst.Version, dst.Lease = src.Version, src.Lease
}

// sendStopped ends s as a gRPC watch ends when its member goes away: a canceled
// response whose error says why.
func (w *watcher) sendStopped(ctx context.Context, s *stream) {
	select {
	case s.out <- clientv3.WatchResponse{Header: &pb.ResponseHeader{}, Canceled: true,
		CancelReason: rpctypes.ErrStopped.Error()}:
	case <-ctx.Done():
	case <-w.stop:
	}
}

func (w *watcher) header(rev int64) *pb.ResponseHeader {
	return &pb.ResponseHeader{
		ClusterId: uint64(w.server.Cluster().ID()),
		MemberId:  uint64(w.server.MemberID()),
		Revision:  rev,
		RaftTerm:  w.server.Term(),
	}
}

// RequestProgress asks every open watch for a progress notification: each that has
// sent everything up to the store's current revision gets one with that revision;
// one still catching up gets none, as from etcd.
func (w *watcher) RequestProgress(context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for s := range w.streams {
		s.ws.RequestProgress(s.id)
	}
	return nil
}

// Close ends every watch, closing their channels, and waits for their goroutines.
func (w *watcher) Close() error {
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		close(w.stop)
	}
	w.mu.Unlock()
	w.wg.Wait()
	return nil
}
