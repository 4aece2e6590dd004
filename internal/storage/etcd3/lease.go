package etcd3

import (
	"context"
	"sync"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
)

// Reuse limits of Leases, as kube-apiserver's: a lease is shared by the writes of
// up to a minute (--lease-reuse-duration-seconds; or a twentieth of the time to
// live, if less) and up to 1,000 of them, so that a busy resource does not grant
// one lease per write.
const (
	defaultLeaseReuse  = 60 * time.Second
	leaseReuseFraction = 20
	leaseMaxObjects    = 1000
)

// Leases hands out etcd leases for values that expire (Events, after
// --event-ttl). A lease is granted for the time to live plus the reuse window and
// given to every write within that window, so each value lives at least its time
// to live and at most that plus the window.
type Leases struct {
	lease    clientv3.Lease
	reuseMax time.Duration
	now      func() time.Time

	mu       sync.Mutex
	id       clientv3.LeaseID
	expires  time.Time // when the current lease runs out
	attached int       // writes given the current lease
}

// NewLeases grants its leases through l, each shared for at most reuse (0 means
// upstream's minute).
func NewLeases(l clientv3.Lease, reuse time.Duration) *Leases {
	if reuse <= 0 {
		reuse = defaultLeaseReuse
	}
	return &Leases{lease: l, reuseMax: reuse, now: time.Now}
}

// get returns a lease under which a value lives at least ttl from now.
func (m *Leases) get(ctx context.Context, ttl time.Duration) (clientv3.LeaseID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	reuse := min(ttl/leaseReuseFraction, m.reuseMax)
	m.attached++
	// The current lease will do if it outlives ttl but not by more than the
	// window: a value written under it must not live too long either.
	longEnough := m.expires.After(now.Add(ttl))
	notTooLong := !m.expires.After(now.Add(ttl + reuse))
	if m.id != 0 && longEnough && notTooLong && m.attached <= leaseMaxObjects {
		return m.id, nil
	}
	lived := ttl + reuse
	seconds := int64((lived + time.Second - 1) / time.Second)
	resp, err := m.lease.Grant(ctx, seconds)
	if err != nil {
		return 0, err
	}
	m.id, m.expires, m.attached = resp.ID, now.Add(time.Duration(seconds)*time.Second), 1
	return m.id, nil
}

// WithTTL has every value the store writes (created or updated) expire ttl after
// the write, through an etcd lease from leases, as kube-apiserver stores Events.
func WithTTL(ttl time.Duration, leases *Leases) Option {
	return func(s *Store) {
		if ttl > 0 {
			s.ttl, s.leases = ttl, leases
		}
	}
}

// putOptions are the options of a put of a value: its lease, when values expire.
func (s *Store) putOptions(ctx context.Context) ([]clientv3.OpOption, error) {
	if s.ttl == 0 {
		return nil, nil
	}
	id, err := s.leases.get(ctx, s.ttl)
	if err != nil {
		return nil, err
	}
	return []clientv3.OpOption{clientv3.WithLease(id)}, nil
}
