// Package ipalloc allocates Service ClusterIPs the way kube-apiserver v1.37 does: each
// allocated address is an IPAddress object (networking.k8s.io/v1) named by the
// address and stored at /registry/ipaddresses/<ip>, so that the etcd create of that
// key is the atomic reservation and two Services can never share an address.
package ipalloc

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"net"
	"sync/atomic"

	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/storage"
)

// Labels upstream puts on allocator-managed IPAddress objects.
const (
	LabelIPFamily  = "ipaddress.kubernetes.io/ip-family"
	LabelManagedBy = "ipaddress.kubernetes.io/managed-by"
	ManagedBy      = "ipallocator.k8s.io"
)

// Allocator hands out addresses of one service CIDR.
type Allocator struct {
	store  storage.Interface
	prefix string // "/registry/ipaddresses/"
	cidr   *net.IPNet
	// base and size describe the usable addresses: network+1 ... base+size-1 (the
	// network and, for IPv4, broadcast addresses are excluded).
	base *big.Int
	size int64
	// last is the range's last usable address; size may stop short of it, as
	// random allocation uses at most the first 2^20 addresses of a large range.
	last *big.Int
	// staticBand is the lower part of the range kept for user-chosen addresses;
	// random allocation prefers the rest, as upstream does.
	staticBand int64
	// fields, once set, is the IPAddress store whose field manager records the
	// server's ownership of the addresses it creates.
	fields atomic.Pointer[registry.Store]
	// serviceCIDRs, once set, lists the ServiceCIDR objects' ranges beside this
	// one (servicecidrs.go).
	serviceCIDRs atomic.Pointer[ListServiceCIDRs]
}

// RecordManagedFields makes the IPAddresses reserved from now on record the
// server's fields in metadata.managedFields, as upstream's allocator's writes
// through its client do.
func (a *Allocator) RecordManagedFields(ipAddresses *registry.Store) { a.fields.Store(ipAddresses) }

// New returns an allocator for cidr whose IPAddress objects live in store.
func New(store storage.Interface, prefix string, cidr *net.IPNet) *Allocator {
	ones, bits := cidr.Mask.Size()
	total := new(big.Int).Lsh(big.NewInt(1), uint(bits-ones))
	size := total.Int64() - 1 // no network address
	if bits == 32 {
		size-- // no broadcast address
	}
	if !total.IsInt64() || size > 1<<20 {
		size = 1 << 20
	}
	band := size / 16
	if band < 16 {
		band = 16
	}
	if band > 256 {
		band = 256
	}
	if band > size {
		band = 0
	}
	base := new(big.Int).SetBytes(normalize(cidr.IP))
	base.Add(base, big.NewInt(1))
	// The last usable address: the broadcast address's predecessor for IPv4, the
	// range's last one for IPv6.
	last := new(big.Int).Add(base, total)
	last.Sub(last, big.NewInt(2))
	if bits == 32 {
		last.Sub(last, big.NewInt(1))
	}
	return &Allocator{store: store, prefix: prefix, cidr: cidr, base: base, last: last, size: size, staticBand: band}
}

func normalize(ip net.IP) net.IP {
	if v4 := ip.To4(); v4 != nil {
		return v4
	}
	return ip.To16()
}

// Family is the IP family of the range's addresses.
func (a *Allocator) Family() string {
	if a.cidr.IP.To4() != nil {
		return "IPv4"
	}
	return "IPv6"
}

// Contains reports whether ip is in the range.
func (a *Allocator) Contains(ip net.IP) bool { return a.cidr.Contains(ip) }

func (a *Allocator) ipAt(offset int64) net.IP {
	n := new(big.Int).Add(a.base, big.NewInt(offset))
	b := n.Bytes()
	width := len(normalize(a.cidr.IP))
	ip := make(net.IP, width)
	copy(ip[width-len(b):], b)
	return ip
}

// ErrAllocated is returned for an address that is already taken (upstream's words).
var ErrAllocated = errors.New("provided IP is already allocated")

// Owner identifies the Service an address belongs to.
type Owner struct {
	Namespace, Name string
}

// Allocate takes a free address, preferring the dynamic band, and returns it;
// when its range is full, from another ServiceCIDR's.
func (a *Allocator) Allocate(ctx context.Context, owner Owner) (net.IP, error) {
	ip, err := a.allocate(ctx, owner)
	if !errors.Is(err, errFull) {
		return ip, err
	}
	others, lerr := a.others(ctx)
	if lerr != nil {
		return nil, lerr
	}
	for _, o := range others {
		if ip, err = o.allocate(ctx, owner); !errors.Is(err, errFull) {
			return ip, err
		}
	}
	return nil, errFull
}

func (a *Allocator) allocate(ctx context.Context, owner Owner) (net.IP, error) {
	dynamic := a.size - a.staticBand
	start := rand.Int64N(max(dynamic, 1))
	for i := int64(0); i < a.size; i++ {
		var offset int64
		if i < dynamic {
			offset = a.staticBand + (start+i)%dynamic
		} else {
			offset = i - dynamic
		}
		ip := a.ipAt(offset)
		err := a.reserve(ctx, ip, owner)
		if err == nil {
			return ip, nil
		}
		if !storage.HasCode(err, storage.CodeKeyExists) {
			return nil, err
		}
	}
	return nil, errFull
}

// Peek returns an address Allocate could take now without taking it, for dry runs.
func (a *Allocator) Peek(ctx context.Context) (net.IP, error) {
	dynamic := a.size - a.staticBand
	start := rand.Int64N(max(dynamic, 1))
	for i := int64(0); i < a.size; i++ {
		offset := i - dynamic
		if i < dynamic {
			offset = a.staticBand + (start+i)%dynamic
		}
		ip := a.ipAt(offset)
		taken, err := a.taken(ctx, ip)
		if err != nil {
			return nil, err
		}
		if !taken {
			return ip, nil
		}
	}
	return nil, errFull
}

// CheckSpecific reports what a dry run of AllocateSpecific reports upstream: only
// whether ip is one of the range's usable addresses (upstream's dry run does not
// look whether it is taken).
func (a *Allocator) CheckSpecific(ctx context.Context, ip net.IP) error {
	if a.usable(ip) {
		return nil
	}
	other, err := a.holder(ctx, ip)
	if err != nil {
		return err
	}
	if other == nil {
		return a.notInRange(ip)
	}
	return nil
}

// ErrMismatchedNetwork is upstream's answer for an address that is not a usable one
// of any service CIDR it allocates from.
var ErrMismatchedNetwork = errors.New("the provided network does not match the current range")

// usable reports whether ip is in the range and neither its network address nor,
// for IPv4, its broadcast address.
func (a *Allocator) usable(ip net.IP) bool {
	if !a.cidr.Contains(ip) {
		return false
	}
	n := new(big.Int).SetBytes(normalize(ip))
	return n.Cmp(a.base) >= 0 && n.Cmp(a.last) <= 0
}

func (a *Allocator) notInRange(ip net.IP) error {
	return fmt.Errorf("the provided IP (%s) is not in the valid range. The range of valid IPs is %s", ip, a.cidr)
}

func (a *Allocator) taken(ctx context.Context, ip net.IP) (bool, error) {
	err := a.store.Get(ctx, a.prefix+ip.String(), storage.GetOptions{}, &networkingv1.IPAddress{})
	if err == nil {
		return true, nil
	}
	if storage.IsNotFound(err) || apierrors.IsNotFound(err) {
		return false, nil
	}
	return false, err
}

// AllocateSpecific reserves ip, failing when it is taken or not a usable address of
// the range or of another ServiceCIDR's (ErrMismatchedNetwork).
func (a *Allocator) AllocateSpecific(ctx context.Context, ip net.IP, owner Owner) error {
	if !a.usable(ip) {
		other, err := a.holder(ctx, ip)
		if err != nil {
			return err
		}
		if other == nil {
			return ErrMismatchedNetwork
		}
		return other.AllocateSpecific(ctx, ip, owner)
	}
	err := a.reserve(ctx, ip, owner)
	if storage.HasCode(err, storage.CodeKeyExists) {
		return ErrAllocated
	}
	return err
}

func (a *Allocator) reserve(ctx context.Context, ip net.IP, owner Owner) error {
	obj := &networkingv1.IPAddress{
		ObjectMeta: metav1.ObjectMeta{
			Name:              ip.String(),
			UID:               uuid.NewUUID(),
			CreationTimestamp: metav1.Now().Rfc3339Copy(),
			Labels:            map[string]string{LabelIPFamily: a.Family(), LabelManagedBy: ManagedBy},
		},
		Spec: networkingv1.IPAddressSpec{ParentRef: &networkingv1.ParentReference{
			Group: "", Resource: "services", Namespace: owner.Namespace, Name: owner.Name,
		}},
	}
	if st := a.fields.Load(); st != nil {
		if step := st.ManagedBy(registry.ServerManager, ""); step != nil {
			if err := step(ctx, obj, nil); err != nil {
				return err
			}
		}
	}
	return a.store.Create(ctx, a.prefix+ip.String(), obj, &networkingv1.IPAddress{})
}

// Release frees ip; releasing a free address is not an error.
func (a *Allocator) Release(ctx context.Context, ip net.IP) error {
	err := a.store.Delete(ctx, a.prefix+ip.String(), &networkingv1.IPAddress{}, nil, nil)
	if err != nil && !storage.IsNotFound(err) && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}
