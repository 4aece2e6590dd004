// Package etcdview gives readers that decode etcd values themselves, like the watch
// cache, a client whose Get and Watch return values already decrypted: each value
// passes through a transformer's TransformFromStorage with its etcd key as the
// authenticated data. The view is read-only; writes through it fail, so that nothing
// can be stored unencrypted by mistake.
package etcdview

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.etcd.io/etcd/api/v3/mvccpb"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

var errReadOnly = errors.New("etcdview: the decrypting view of etcd is read-only")

// New returns the view of c through t. It lives as long as c's context; its Close
// stops only the view's own goroutines, never c.
func New(c *clientv3.Client, t value.Transformer) *clientv3.Client {
	v := clientv3.NewCtxClient(c.Ctx())
	v.KV = &kv{KV: c.KV, t: t}
	v.Watcher = &watcher{Watcher: c.Watcher, t: t, stop: make(chan struct{})}
	return v
}

// transform decrypts one key-value in place.
func transform(ctx context.Context, t value.Transformer, kv *mvccpb.KeyValue) error {
	if kv == nil || len(kv.Value) == 0 {
		return nil
	}
	data, _, err := t.TransformFromStorage(ctx, kv.Value, kv.Key)
	if err != nil {
		return fmt.Errorf("unable to transform key %q: %w", kv.Key, err)
	}
	kv.Value = data
	return nil
}

type kv struct {
	clientv3.KV
	t value.Transformer
}

func (k *kv) Get(ctx context.Context, key string, opts ...clientv3.OpOption) (*clientv3.GetResponse, error) {
	resp, err := k.KV.Get(ctx, key, opts...)
	if err != nil {
		return nil, err
	}
	for _, item := range resp.Kvs {
		if err := transform(ctx, k.t, item); err != nil {
			return nil, err
		}
	}
	return resp, nil
}

func (k *kv) Put(context.Context, string, string, ...clientv3.OpOption) (*clientv3.PutResponse, error) {
	return nil, errReadOnly
}

func (k *kv) Delete(context.Context, string, ...clientv3.OpOption) (*clientv3.DeleteResponse, error) {
	return nil, errReadOnly
}

func (k *kv) Do(context.Context, clientv3.Op) (clientv3.OpResponse, error) {
	return clientv3.OpResponse{}, errReadOnly
}

func (k *kv) Txn(context.Context) clientv3.Txn { return readOnlyTxn{} }

// readOnlyTxn refuses to commit.
type readOnlyTxn struct{}

func (t readOnlyTxn) If(...clientv3.Cmp) clientv3.Txn      { return t }
func (t readOnlyTxn) Then(...clientv3.Op) clientv3.Txn     { return t }
func (t readOnlyTxn) Else(...clientv3.Op) clientv3.Txn     { return t }
func (readOnlyTxn) Commit() (*clientv3.TxnResponse, error) { return nil, errReadOnly }

// watcher decrypts the events of its watches. Each watch has a goroutine that
// forwards responses; it ends with the watch's context, the underlying channel, or
// Close.
type watcher struct {
	clientv3.Watcher
	t    value.Transformer
	wg   sync.WaitGroup
	stop chan struct{}
	once sync.Once
}

func (w *watcher) Watch(ctx context.Context, key string, opts ...clientv3.OpOption) clientv3.WatchChan {
	ctx, cancel := context.WithCancel(ctx)
	in := w.Watcher.Watch(ctx, key, opts...)
	out := make(chan clientv3.WatchResponse)
	w.wg.Add(1)
	go func() {
		defer w.wg.Done()
		defer close(out)
		defer cancel()
		for resp := range in {
			if err := w.transformEvents(ctx, resp.Events); err != nil {
				// A value that does not decrypt ends the watch with a canceled
				// response carrying the reason; the reader lists again.
				resp = clientv3.WatchResponse{Header: resp.Header, Canceled: true, CancelReason: err.Error()}
				w.send(ctx, out, resp)
				return
			}
			if !w.send(ctx, out, resp) {
				return
			}
		}
	}()
	return out
}

func (w *watcher) transformEvents(ctx context.Context, evs []*clientv3.Event) error {
	for _, e := range evs {
		if err := transform(ctx, w.t, e.Kv); err != nil {
			return err
		}
		if err := transform(ctx, w.t, e.PrevKv); err != nil {
			return err
		}
	}
	return nil
}

func (w *watcher) send(ctx context.Context, out chan<- clientv3.WatchResponse, resp clientv3.WatchResponse) bool {
	select {
	case out <- resp:
		return true
	case <-ctx.Done():
	case <-w.stop:
	}
	return false
}

// Close ends the view's watches; the underlying client's watcher stays open.
func (w *watcher) Close() error {
	w.once.Do(func() { close(w.stop) })
	w.wg.Wait()
	return nil
}
