package etcd3

import (
	"context"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// maxDeadlineMargin caps how much earlier than the request an etcd call gives up.
const maxDeadlineMargin = time.Second

// bounded returns ctx with a deadline a little before ctx's own. While etcd is
// unreachable the client waits for a connection until its context ends; ending
// first lets the handler answer its own 504 Timeout Status before the timeout
// filter's deadline, rather than racing it (a handler that has begun writing when
// the filter fires has its stream reset). Without a deadline, ctx is kept.
func bounded(ctx context.Context) (context.Context, context.CancelFunc) {
	d, ok := ctx.Deadline()
	if !ok {
		return ctx, func() {}
	}
	margin := min(time.Until(d)/5, maxDeadlineMargin)
	if margin <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, d.Add(-margin))
}

// get is client.Get under a bounded context.
func (s *Store) get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	return s.client.Get(ctx, key, opts...)
}

// commit builds a transaction and commits it under a bounded context, and records
// the revision etcd answered at.
func (s *Store) commit(ctx context.Context, build func(clientv3.Txn) clientv3.Txn) (*clientv3.TxnResponse, error) {
	ctx, cancel := bounded(ctx)
	defer cancel()
	resp, err := build(s.client.Txn(ctx)).Commit()
	if err == nil && resp.Header != nil {
		s.noteRevision(resp.Header.Revision)
	}
	return resp, err
}

// noteRevision raises lastWrite to rev.
func (s *Store) noteRevision(rev int64) {
	for {
		cur := s.lastWrite.Load()
		if rev <= cur || s.lastWrite.CompareAndSwap(cur, rev) {
			return
		}
	}
}

// LastWriteRevision is the highest revision a transaction of this store was
// answered at: every write it acknowledged is at or below it.
func (s *Store) LastWriteRevision() int64 { return s.lastWrite.Load() }
