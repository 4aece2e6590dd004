package ipalloc

import (
	"context"
	"errors"
	"net"
)

// Upstream allocates ClusterIPs from every ServiceCIDR object, not only from the
// range of --service-cluster-ip-range (the default ServiceCIDR): a cluster running
// out of addresses gains more by creating another ServiceCIDR. The Allocator keeps
// to its own range first, as upstream's allocator does while it still writes the
// primary range's old bitmap, and turns to the other ServiceCIDRs of its family for
// an address one of them holds, or when its own range is full.

// errFull is a range without a free address.
var errFull = errors.New("range is full")

// ListServiceCIDRs returns the ranges of the ServiceCIDR objects that take
// allocations: those Ready (or not yet judged) and not being deleted.
type ListServiceCIDRs func(ctx context.Context) ([]*net.IPNet, error)

// UseServiceCIDRs makes the allocator also allocate from the ranges list returns
// besides its own.
func (a *Allocator) UseServiceCIDRs(list ListServiceCIDRs) { a.serviceCIDRs.Store(&list) }

// others returns allocators for the other ServiceCIDRs' ranges of a's family.
func (a *Allocator) others(ctx context.Context) ([]*Allocator, error) {
	list := a.serviceCIDRs.Load()
	if list == nil {
		return nil, nil
	}
	ranges, err := (*list)(ctx)
	if err != nil {
		return nil, err
	}
	v4 := a.cidr.IP.To4() != nil
	var out []*Allocator
	for _, r := range ranges {
		if (r.IP.To4() != nil) != v4 || r.String() == a.cidr.String() {
			continue
		}
		other := New(a.store, a.prefix, r)
		other.fields.Store(a.fields.Load())
		out = append(out, other)
	}
	return out, nil
}

// holder returns the allocator of another ServiceCIDR whose usable addresses
// include ip, or nil.
func (a *Allocator) holder(ctx context.Context, ip net.IP) (*Allocator, error) {
	others, err := a.others(ctx)
	if err != nil {
		return nil, err
	}
	for _, o := range others {
		if o.usable(ip) {
			return o, nil
		}
	}
	return nil, nil
}
