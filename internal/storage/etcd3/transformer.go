package etcd3

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

// Option configures a Store.
type Option func(*Store)

// WithTransformer has the store pass every value through t (encryption at rest)
// after encoding and before decoding, with the etcd key as authenticated data.
// Without it values are stored as encoded.
func WithTransformer(t value.Transformer) Option {
	return func(s *Store) { s.transformer = t }
}

// toStorage transforms an encoded object into the bytes etcd stores under key.
// A failure is a 500, as upstream's.
func (s *Store) toStorage(ctx context.Context, key string, data []byte) ([]byte, error) {
	if s.transformer == nil {
		return data, nil
	}
	out, err := s.transformer.TransformToStorage(ctx, data, []byte(key))
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return out, nil
}

// fromStorage undoes toStorage on the value etcd holds under key. stale says the
// value should be rewritten (it was not written with the current provider or key).
func (s *Store) fromStorage(ctx context.Context, key string, stored []byte) (data []byte, stale bool, err error) {
	if s.transformer == nil {
		return stored, false, nil
	}
	return s.transformer.TransformFromStorage(ctx, stored, []byte(key))
}

// decodeStored transforms and decodes a value read from etcd; a value that does
// not transform is a 500, as upstream's.
func (s *Store) decodeStored(ctx context.Context, key string, stored []byte, rev int64, out runtime.Object) error {
	data, _, err := s.fromStorage(ctx, key, stored)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	return s.decode(data, rev, out)
}

// decodeListItem is decodeStored with upstream's error for a list item.
func (s *Store) decodeListItem(ctx context.Context, key, stored []byte, rev int64, out runtime.Object) error {
	data, _, err := s.fromStorage(ctx, string(key), stored)
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("unable to transform key %q: %w", key, err))
	}
	return s.decode(data, rev, out)
}
