package encryptionconfig

import (
	"context"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

// Transformers hands out per-resource transformers that follow the current
// configuration, so that a reload reaches every store without rebuilding it.
type Transformers struct {
	current atomic.Pointer[Built]
}

// NewTransformers starts with b; nil means no configuration (identity everywhere).
func NewTransformers(b *Built) *Transformers {
	t := &Transformers{}
	if b != nil {
		t.current.Store(b)
	}
	return t
}

// Current returns the configuration in force (nil when there is none).
func (t *Transformers) Current() *Built { return t.current.Load() }

// Swap puts b in force and returns the configuration it replaces.
func (t *Transformers) Swap(b *Built) *Built { return t.current.Swap(b) }

// For returns the transformer of gr under whatever configuration is in force at
// each call.
func (t *Transformers) For(gr schema.GroupResource) value.Transformer {
	return &resourceTransformer{gr: gr, from: t}
}

// Check is the health check of the configuration in force.
func (t *Transformers) Check(ctx context.Context) error {
	if b := t.current.Load(); b != nil {
		return b.Check(ctx)
	}
	return nil
}

type resourceTransformer struct {
	gr   schema.GroupResource
	from *Transformers
}

func (r *resourceTransformer) TransformToStorage(ctx context.Context, data, authData []byte) ([]byte, error) {
	return r.from.current.Load().TransformerFor(r.gr).TransformToStorage(ctx, data, authData)
}

func (r *resourceTransformer) TransformFromStorage(ctx context.Context, data, authData []byte) ([]byte, bool, error) {
	return r.from.current.Load().TransformerFor(r.gr).TransformFromStorage(ctx, data, authData)
}
