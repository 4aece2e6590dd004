package registry

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
)

// Follow watches every object of the store from resourceVersion rv (the one of a
// list the caller just read) and calls observe for each change, deleted telling a
// deletion, until ctx ends. When the watch breaks it calls relist, which reads the
// whole collection again and returns the resourceVersion to go on from. Controllers
// inside the server keep their state with it, as an informer would.
func (s *Store) Follow(ctx context.Context, rv string, observe func(obj runtime.Object, deleted bool), relist func(ctx context.Context) (string, error)) {
	for ctx.Err() == nil {
		w, err := s.Watch(ctx, "", &metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: true})
		if err == nil {
			rv = consumeWatch(ctx, w, rv, observe)
			w.Stop()
		}
		if ctx.Err() != nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
		if newRV, err := relist(ctx); err == nil {
			rv = newRV
		}
	}
}

// consumeWatch hands w's events to observe until the watch ends or fails, and
// returns the last resourceVersion seen.
func consumeWatch(ctx context.Context, w watch.Interface, rv string, observe func(runtime.Object, bool)) string {
	for {
		select {
		case <-ctx.Done():
			return rv
		case ev, ok := <-w.ResultChan():
			if !ok || ev.Type == watch.Error {
				return rv
			}
			acc, err := meta.Accessor(ev.Object)
			if err != nil {
				continue
			}
			rv = acc.GetResourceVersion()
			if ev.Type == watch.Bookmark {
				continue
			}
			observe(ev.Object, ev.Type == watch.Deleted)
		}
	}
}
