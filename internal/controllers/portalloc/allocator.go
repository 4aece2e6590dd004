package portalloc

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/storage"
)

// Upstream's allocation errors, word for word: they reach clients in 422 causes.
var (
	ErrAllocated = errors.New("provided port is already allocated")
	ErrFull      = errors.New("range is full")
)

// NotInRangeError is returned for a port outside the range.
type NotInRangeError struct{ Valid Range }

func (e *NotInRangeError) Error() string {
	return fmt.Sprintf("provided port is not in the valid range. The range of valid ports is %s", e.Valid)
}

// Allocator hands out the ports of one range, keeping the bitmap in storage.
type Allocator struct {
	store storage.Interface
	key   string
	rng   Range
}

// New returns an allocator whose RangeAllocation lives at key of store
// (<etcd prefix>/ranges/servicenodeports).
func New(store storage.Interface, key string, rng Range) *Allocator {
	return &Allocator{store: store, key: key, rng: rng}
}

// Range returns the range the allocator serves.
func (a *Allocator) Range() Range { return a.rng }

// bitmap is the decoded allocation state.
type bitmap struct{ bits *big.Int }

func (b bitmap) has(offset int) bool    { return b.bits.Bit(offset) == 1 }
func (b bitmap) set(offset int, v uint) { b.bits.SetBit(b.bits, offset, v) }

// update runs change on the current bitmap and writes it back, retrying on
// conflicts. A missing object is created (upstream waits for its repair loop to do
// that; kapi repairs at start, so this only matters in a race with it).
func (a *Allocator) update(ctx context.Context, change func(bitmap) error) error {
	return a.store.GuaranteedUpdate(ctx, a.key, &corev1.RangeAllocation{}, true, nil, func(cur runtime.Object) (runtime.Object, error) {
		ra := cur.(*corev1.RangeAllocation)
		b, err := a.decode(ra)
		if err != nil {
			return nil, err
		}
		if err := change(b); err != nil {
			return nil, err
		}
		ra.Range, ra.Data = a.rng.String(), b.bits.Bytes()
		return ra, nil
	})
}

// decode reads ra's bitmap, refusing one of another range: a second server with a
// different --service-node-port-range must not corrupt the first one's state.
func (a *Allocator) decode(ra *corev1.RangeAllocation) (bitmap, error) {
	if ra.Range != "" && ra.Range != a.rng.String() {
		return bitmap{}, fmt.Errorf("the provided range does not match the current range")
	}
	return bitmap{bits: new(big.Int).SetBytes(ra.Data)}, nil
}

// read returns the stored bitmap (empty when nothing is stored yet).
func (a *Allocator) read(ctx context.Context) (bitmap, error) {
	ra := &corev1.RangeAllocation{}
	if err := a.store.Get(ctx, a.key, storage.GetOptions{IgnoreNotFound: true}, ra); err != nil {
		return bitmap{}, err
	}
	return a.decode(ra)
}

// Allocate takes port, failing with ErrAllocated or *NotInRangeError.
func (a *Allocator) Allocate(ctx context.Context, port int) error {
	if !a.rng.Contains(port) {
		return &NotInRangeError{Valid: a.rng}
	}
	return a.update(ctx, func(b bitmap) error {
		if b.has(port - a.rng.Base) {
			return ErrAllocated
		}
		b.set(port-a.rng.Base, 1)
		return nil
	})
}

// AllocateNext takes a free port, preferring the part above the static band.
func (a *Allocator) AllocateNext(ctx context.Context) (int, error) {
	var port int
	err := a.update(ctx, func(b bitmap) error {
		offset, ok := a.pick(b, nil)
		if !ok {
			return ErrFull
		}
		b.set(offset, 1)
		port = a.rng.Base + offset
		return nil
	})
	return port, err
}

// Check reports what Allocate would, without taking port (dry runs); ports in
// pending count as taken.
func (a *Allocator) Check(ctx context.Context, port int, pending map[int]bool) error {
	if !a.rng.Contains(port) {
		return &NotInRangeError{Valid: a.rng}
	}
	b, err := a.read(ctx)
	if err != nil {
		return err
	}
	if pending[port] || b.has(port-a.rng.Base) {
		return ErrAllocated
	}
	return nil
}

// Peek returns a port AllocateNext could take now, other than those in pending,
// without taking it (dry runs).
func (a *Allocator) Peek(ctx context.Context, pending map[int]bool) (int, error) {
	b, err := a.read(ctx)
	if err != nil {
		return 0, err
	}
	offset, ok := a.pick(b, func(off int) bool { return pending[a.rng.Base+off] })
	if !ok {
		return 0, ErrFull
	}
	return a.rng.Base + offset, nil
}

// pick chooses a free offset: a random start in the dynamic band scanning upward,
// then the static band, as upstream's random scan with offset does.
func (a *Allocator) pick(b bitmap, skip func(int) bool) (int, bool) {
	band := a.rng.staticBand()
	free := func(off int) bool { return !b.has(off) && (skip == nil || !skip(off)) }
	if dynamic := a.rng.Size - band; dynamic > 0 {
		start := rand.IntN(dynamic)
		for i := 0; i < dynamic; i++ {
			if off := band + (start+i)%dynamic; free(off) {
				return off, true
			}
		}
	}
	if band > 0 {
		start := rand.IntN(band)
		for i := 0; i < band; i++ {
			if off := (start + i) % band; free(off) {
				return off, true
			}
		}
	}
	return 0, false
}

// Release frees ports; ports outside the range or already free are ignored.
func (a *Allocator) Release(ctx context.Context, ports ...int) error {
	var in []int
	for _, p := range ports {
		if a.rng.Contains(p) {
			in = append(in, p)
		}
	}
	if len(in) == 0 {
		return nil
	}
	return a.update(ctx, func(b bitmap) error {
		for _, p := range in {
			b.set(p-a.rng.Base, 0)
		}
		return nil
	})
}

// Has reports whether port is taken.
func (a *Allocator) Has(ctx context.Context, port int) (bool, error) {
	if !a.rng.Contains(port) {
		return false, nil
	}
	b, err := a.read(ctx)
	if err != nil {
		return false, err
	}
	return b.has(port - a.rng.Base), nil
}
