package storage

import (
	"context"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
)

// SharedLister is a storage that can list without copying its items into the
// list: a watch cache hands out its own objects, which callers must not modify.
type SharedLister interface {
	// ListShared lists like GetList but returns the items apart from listObj, which
	// gets the list's metadata (resourceVersion, continue, remaining count) and no
	// items.
	ListShared(ctx context.Context, key string, opts ListOptions, listObj runtime.Object) ([]runtime.Object, error)
}

// ListApart is ListShared for any storage: it lists into listObj, then moves the
// items out of it.
func ListApart(ctx context.Context, s Interface, key string, opts ListOptions, listObj runtime.Object) ([]runtime.Object, error) {
	if sl, ok := s.(SharedLister); ok {
		return sl.ListShared(ctx, key, opts, listObj)
	}
	if err := s.GetList(ctx, key, opts, listObj); err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(listObj)
	if err != nil {
		return nil, err
	}
	return items, meta.SetList(listObj, nil)
}
