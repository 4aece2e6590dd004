package etcd3

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"go.etcd.io/etcd/api/v3/mvccpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
)

// InitialEventsEndAnnotation marks the bookmark that ends a watch's initial events.
const InitialEventsEndAnnotation = "k8s.io/initial-events-end"

// Watch opens one etcd watch on key. The cacher uses it once per resource; direct
// use is for tests and the rare caller that needs etcd's own stream.
func (s *Store) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	if opts.Recursive && !strings.HasSuffix(key, "/") {
		key += "/"
	}
	var rev int64
	if opts.ResourceVersion != "" {
		var err error
		if rev, err = parseRV(opts.ResourceVersion); err != nil {
			return nil, err
		}
	}
	ctx, cancel := context.WithCancel(ctx)
	w := &etcdWatcher{
		store:  s,
		key:    key,
		opts:   opts,
		result: make(chan watch.Event, 100),
		cancel: cancel,
		done:   make(chan struct{}),
	}
	go w.run(ctx, rev)
	return w, nil
}

// etcdWatcher turns one etcd watch stream into watch events. Its goroutine is owned by
// the watcher: Stop cancels it and waits for it to end.
type etcdWatcher struct {
	store  *Store
	key    string
	opts   storage.ListOptions
	result chan watch.Event
	cancel context.CancelFunc
	done   chan struct{}
}

func (w *etcdWatcher) Stop() {
	w.cancel()
	<-w.done
}

func (w *etcdWatcher) ResultChan() <-chan watch.Event { return w.result }

func (w *etcdWatcher) send(ctx context.Context, ev watch.Event) bool {
	select {
	case w.result <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

func (w *etcdWatcher) run(ctx context.Context, rev int64) {
	defer close(w.done)
	defer close(w.result)

	initial := w.opts.SendInitialEvents != nil && *w.opts.SendInitialEvents
	if rev == 0 || initial {
		// Start from the current state: list it as ADDED events, then watch after it.
		list, err := w.initialState(ctx, rev)
		if err != nil {
			w.sendError(ctx, err)
			return
		}
		for _, obj := range list.objs {
			if !w.send(ctx, watch.Event{Type: watch.Added, Object: obj}) {
				return
			}
		}
		rev = list.rev
		if initial && w.opts.AllowWatchBookmarks {
			if !w.send(ctx, watch.Event{Type: watch.Bookmark, Object: w.bookmark(rev, true)}) {
				return
			}
		}
	}

	opts := []clientv3.OpOption{clientv3.WithRev(rev + 1), clientv3.WithPrevKV(), clientv3.WithProgressNotify()}
	if w.opts.Recursive {
		opts = append(opts, clientv3.WithPrefix())
	}
	wch := w.store.client.Watch(clientv3.WithRequireLeader(ctx), w.key, opts...)
	for resp := range wch {
		if err := resp.Err(); err != nil {
			if errors.Is(err, rpctypes.ErrCompacted) {
				w.sendError(ctx, &storage.Error{Code: storage.CodeExpired, Key: w.key, Message: "too old resource version", ResourceVersion: resp.CompactRevision})
			} else if ctx.Err() == nil {
				w.sendError(ctx, unreachable(w.key, err))
			}
			return
		}
		if resp.IsProgressNotify() {
			if w.opts.AllowWatchBookmarks && !w.send(ctx, watch.Event{Type: watch.Bookmark, Object: w.bookmark(resp.Header.Revision, false)}) {
				return
			}
			continue
		}
		for _, e := range resp.Events {
			ev, ok, err := w.translate(ctx, e)
			if err != nil {
				w.sendError(ctx, err)
				return
			}
			if ok && !w.send(ctx, ev) {
				return
			}
		}
	}
}

type state struct {
	objs []runtime.Object
	rev  int64
}

func (w *etcdWatcher) initialState(ctx context.Context, rev int64) (state, error) {
	opts := []clientv3.OpOption{clientv3.WithRev(rev)}
	if w.opts.Recursive {
		opts = append(opts, clientv3.WithPrefix())
	}
	resp, err := w.store.client.Get(ctx, w.key, opts...)
	if err != nil {
		if errors.Is(err, rpctypes.ErrCompacted) {
			return state{}, &storage.Error{Code: storage.CodeExpired, Key: w.key, Message: "too old resource version"}
		}
		return state{}, unreachable(w.key, err)
	}
	st := state{rev: resp.Header.Revision}
	if rev != 0 {
		st.rev = rev
	}
	for _, kv := range resp.Kvs {
		obj := w.store.newFunc()
		if err := w.store.decodeStored(ctx, string(kv.Key), kv.Value, kv.ModRevision, obj); err != nil {
			return state{}, err
		}
		if ok, _ := w.opts.Predicate.Matches(obj); ok {
			st.objs = append(st.objs, obj)
		}
	}
	return st, nil
}

// translate maps an etcd event to a watch event, applying the predicate: an object
// that leaves the selection is Deleted, one that enters it is Added.
func (w *etcdWatcher) translate(ctx context.Context, e *clientv3.Event) (watch.Event, bool, error) {
	var cur, prev runtime.Object
	if e.Type == mvccpb.PUT {
		cur = w.store.newFunc()
		if err := w.store.decodeStored(ctx, string(e.Kv.Key), e.Kv.Value, e.Kv.ModRevision, cur); err != nil {
			return watch.Event{}, false, err
		}
	}
	if e.PrevKv != nil {
		prev = w.store.newFunc()
		// A deleted object is reported at the revision of its deletion.
		if err := w.store.decodeStored(ctx, string(e.Kv.Key), e.PrevKv.Value, e.Kv.ModRevision, prev); err != nil {
			return watch.Event{}, false, err
		}
	}
	curMatch := cur != nil && matches(w.opts.Predicate, cur)
	prevMatch := prev != nil && matches(w.opts.Predicate, prev)
	switch {
	case e.Type == mvccpb.DELETE:
		return watch.Event{Type: watch.Deleted, Object: prev}, prevMatch, nil
	case e.IsCreate() || prev == nil:
		return watch.Event{Type: watch.Added, Object: cur}, curMatch, nil
	case curMatch && prevMatch:
		return watch.Event{Type: watch.Modified, Object: cur}, true, nil
	case curMatch:
		return watch.Event{Type: watch.Added, Object: cur}, true, nil
	case prevMatch:
		// The object left the selection: a deletion of its last matching state, at
		// the revision it left.
		return watch.Event{Type: watch.Deleted, Object: prev}, true, nil
	}
	return watch.Event{}, false, nil
}

func matches(p storage.SelectionPredicate, obj runtime.Object) bool {
	ok, err := p.Matches(obj)
	return err == nil && ok
}

func (w *etcdWatcher) bookmark(rev int64, initialEnd bool) runtime.Object {
	obj := w.store.newFunc()
	obj.GetObjectKind().SetGroupVersionKind(w.store.gvk)
	if acc, err := meta.Accessor(obj); err == nil {
		acc.SetResourceVersion(strconv.FormatInt(rev, 10))
		if initialEnd {
			acc.SetAnnotations(map[string]string{InitialEventsEndAnnotation: "true"})
		}
	}
	return obj
}

func (w *etcdWatcher) sendError(ctx context.Context, err error) {
	w.send(ctx, watch.Event{Type: watch.Error, Object: ErrorStatus(err)})
}

// ErrorStatus converts a storage error into the Status object a watch ERROR event
// carries.
func ErrorStatus(err error) *metav1.Status {
	st := &metav1.Status{Status: metav1.StatusFailure, Message: err.Error(), Code: http.StatusInternalServerError, Reason: metav1.StatusReasonInternalError}
	if storage.HasCode(err, storage.CodeExpired) {
		st.Code, st.Reason = http.StatusGone, metav1.StatusReasonExpired
		var se *storage.Error
		if errors.As(err, &se) {
			st.Message = "too old resource version: " + strconv.FormatInt(se.ResourceVersion, 10)
		}
	}
	return st
}
