package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Upstream's lease endpoint reconciler defaults: each instance refreshes its key every
// interval, and the key outlives a missed refresh or so before etcd drops it.
const (
	DefaultEndpointInterval = 10 * time.Second
	DefaultEndpointLeaseTTL = 15 * time.Second
)

// errNoLeases refuses to empty the endpoints while this instance still runs: having
// just refreshed its own key, an empty listing means storage is misbehaving.
var errNoLeases = errors.New("no API server IP addresses were listed in storage, refusing to erase all endpoints for the kubernetes Service")

// leaseScheme encodes the lease values as upstream stores them: a v1 Endpoints in
// Kubernetes protobuf; reading also accepts JSON.
var leaseScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := corev1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// masterLeases are the etcd keys <prefix>/masterleases/<ip>, one per live instance,
// each tied to an etcd lease so that a crashed instance's key expires by itself.
type masterLeases struct {
	client *clientv3.Client
	dir    string // "/registry/masterleases/"
	ttl    time.Duration
	// lease is the etcd lease this instance's key hangs on; 0 before the first grant
	// or after it was lost.
	lease clientv3.LeaseID
}

func (m *masterLeases) key(ip string) string { return m.dir + ip }

// update creates or refreshes the key of ip, granting a new etcd lease when the
// previous one expired (a long etcd outage) or was never granted.
func (m *masterLeases) update(ctx context.Context, ip string) error {
	if m.lease != 0 {
		if _, err := m.client.KeepAliveOnce(ctx, m.lease); err != nil {
			m.lease = 0
		}
	}
	if m.lease == 0 {
		ttl := int64(m.ttl / time.Second)
		if ttl < 1 {
			ttl = 1
		}
		resp, err := m.client.Grant(ctx, ttl)
		if err != nil {
			return err
		}
		m.lease = resp.ID
	}
	value, err := encodeLease(ip)
	if err != nil {
		return err
	}
	// Write only when the key is missing or hangs on another lease: a refresh is the
	// keep-alive above, and costs no revision.
	key := m.key(ip)
	_, err = m.client.Txn(ctx).
		If(clientv3.Compare(clientv3.LeaseValue(key), "=", m.lease)).
		Else(clientv3.OpPut(key, string(value), clientv3.WithLease(m.lease))).
		Commit()
	return err
}

// remove deletes the key of ip and gives its lease back.
func (m *masterLeases) remove(ctx context.Context, ip string) error {
	if m.lease != 0 {
		_, _ = m.client.Revoke(ctx, m.lease)
		m.lease = 0
	}
	_, err := m.client.Delete(ctx, m.key(ip))
	return err
}

// list returns the addresses with a live key, sorted as upstream orders endpoint
// addresses (by their text).
func (m *masterLeases) list(ctx context.Context) ([]string, error) {
	resp, err := m.client.Get(ctx, m.dir, clientv3.WithPrefix())
	if err != nil {
		return nil, err
	}
	decoder := serializer.NewCodecFactory(leaseScheme).UniversalDeserializer()
	ips := make([]string, 0, len(resp.Kvs))
	for _, kv := range resp.Kvs {
		obj, _, err := decoder.Decode(kv.Value, nil, &corev1.Endpoints{})
		if err != nil {
			return nil, fmt.Errorf("decoding %s: %w", kv.Key, err)
		}
		ep, ok := obj.(*corev1.Endpoints)
		if ok && len(ep.Subsets) > 0 && len(ep.Subsets[0].Addresses) > 0 && ep.Subsets[0].Addresses[0].IP != "" {
			ips = append(ips, ep.Subsets[0].Addresses[0].IP)
		}
	}
	sort.Strings(ips)
	return ips, nil
}

func encodeLease(ip string) ([]byte, error) {
	ep := &corev1.Endpoints{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Endpoints"},
		Subsets:  []corev1.EndpointSubset{{Addresses: []corev1.EndpointAddress{{IP: ip}}}},
	}
	return runtime.Encode(protobuf.NewSerializer(leaseScheme, leaseScheme), ep)
}

// endpointReconciler keeps the kubernetes Service's Endpoints and EndpointSlice equal
// to the set of instances holding a master lease. The lock orders a final removal
// after any reconcile in flight; waiting for it ends with the waiter's context.
// stopping ends when the final removal starts: it cuts short the reconcile in
// flight (a shutdown must not wait on it) and keeps later ticks from re-adding
// this instance.
type endpointReconciler struct {
	lock     chan struct{} // holds one token while a reconcile or removal runs
	stopping context.Context
	stop     context.CancelFunc
	leases   *masterLeases
}

// acquire takes the lock, or fails when ctx ends first.
func (r *endpointReconciler) acquire(ctx context.Context) error {
	select {
	case r.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (r *endpointReconciler) release() { <-r.lock }

// publishes reports whether this instance takes part: it needs the etcd client, and a
// loopback advertise address (kapi's fallback on a host without a default route) is
// no valid endpoint — upstream refuses to start with one, kapi serves without
// publishing it.
func (c *Controller) publishes() bool {
	return c.ep.leases != nil && !c.cfg.AdvertiseAddress.IsLoopback() && !c.cfg.AdvertiseAddress.IsUnspecified()
}

// reconcileEndpoints refreshes this instance's lease and brings the endpoints in
// line with the live leases.
func (c *Controller) reconcileEndpoints(ctx context.Context) error {
	if !c.publishes() || c.ep.stopping.Err() != nil {
		return nil // after the final removal, this instance stays out
	}
	// A reconcile never outlives its interval (the next tick starts afresh) nor the
	// start of the final removal.
	ctx, cancel := context.WithTimeout(ctx, c.cfg.EndpointInterval)
	defer cancel()
	defer context.AfterFunc(c.ep.stopping, cancel)()
	if err := c.ep.acquire(ctx); err != nil {
		return err
	}
	defer c.ep.release()
	if c.ep.stopping.Err() != nil {
		return nil
	}
	if err := c.ep.leases.update(ctx, c.cfg.AdvertiseAddress.String()); err != nil {
		return err
	}
	return c.syncEndpoints(ctx, false)
}

// withdrawEndpoints removes this instance's lease and address. At start it drops a
// stale entry of a previous run until the server is ready (an empty listing then is
// no error); at shutdown (final) it also stops further reconciles.
func (c *Controller) withdrawEndpoints(ctx context.Context, final bool) error {
	if !c.publishes() {
		return nil
	}
	if final {
		c.ep.stop()
	}
	if err := c.ep.acquire(ctx); err != nil {
		return err
	}
	defer c.ep.release()
	if err := c.ep.leases.remove(ctx, c.cfg.AdvertiseAddress.String()); err != nil {
		return err
	}
	if err := c.syncEndpoints(ctx, final); err != nil && !errors.Is(err, errNoLeases) {
		return err
	}
	return nil
}

// RemoveEndpoints is the graceful-shutdown step: this instance's address leaves the
// kubernetes Service at once instead of when its lease expires.
func (c *Controller) RemoveEndpoints(ctx context.Context) error {
	return c.withdrawEndpoints(ctx, true)
}

// runEndpoints waits until the server is ready, then reconciles every interval.
func (c *Controller) runEndpoints(ctx context.Context) {
	if !c.publishes() {
		return
	}
	for c.cfg.Ready != nil && !c.cfg.Ready() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
	}
	t := time.NewTicker(c.cfg.EndpointInterval)
	defer t.Stop()
	for {
		_ = c.reconcileEndpoints(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// syncEndpoints rewrites the Endpoints and EndpointSlice when the live addresses or
// the port differ from what they hold. allowEmpty lets the last instance to stop
// leave an empty Endpoints behind.
func (c *Controller) syncEndpoints(ctx context.Context, allowEmpty bool) error {
	ips, err := c.ep.leases.list(ctx)
	if err != nil {
		return err
	}
	if len(ips) == 0 && !allowEmpty {
		return errNoLeases
	}
	port := corev1.EndpointPort{Name: "https", Port: int32(c.cfg.SecurePort), Protocol: corev1.ProtocolTCP}
	var subsets []corev1.EndpointSubset
	if len(ips) > 0 {
		addrs := make([]corev1.EndpointAddress, len(ips))
		for i, ip := range ips {
			addrs[i] = corev1.EndpointAddress{IP: ip}
		}
		subsets = []corev1.EndpointSubset{{Addresses: addrs, Ports: []corev1.EndpointPort{port}}}
	}
	epStore := c.cfg.Stores(endpointsGVR)
	if epStore == nil {
		return nil
	}
	cur, err := epStore.Get(ctx, metav1.NamespaceDefault, "kubernetes", &metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		if allowEmpty {
			return nil // nothing published, nothing to withdraw
		}
		ep := &corev1.Endpoints{ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{discoveryv1.LabelSkipMirror: "true"}}, Subsets: subsets}
		if err := ensure(ctx, epStore, ep); err != nil {
			return err
		}
	case err != nil:
		return err
	default:
		if cur := cur.(*corev1.Endpoints); !endpointsMatch(cur, subsets) {
			_, _, err = epStore.Update(ctx, metav1.NamespaceDefault, "kubernetes", "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
				ep, ok := current.(*corev1.Endpoints)
				if !ok || ep == nil {
					return nil, errors.New("kubernetes endpoints vanished during update")
				}
				if ep.Labels == nil {
					ep.Labels = map[string]string{}
				}
				ep.Labels[discoveryv1.LabelSkipMirror] = "true"
				ep.Subsets = subsets
				return ep, nil
			}, epStore.ManagedBy(registry.ServerManager, ""), nil, false, false)
			if err != nil {
				return err
			}
		}
	}
	return c.syncEndpointSlice(ctx, subsets)
}

// endpointsMatch reports whether cur already lists exactly the addresses and port of
// want (addresses compared as a set, as upstream) and carries the skip-mirror label.
func endpointsMatch(cur *corev1.Endpoints, want []corev1.EndpointSubset) bool {
	if cur.Labels[discoveryv1.LabelSkipMirror] != "true" {
		return false
	}
	if len(want) == 0 {
		return len(cur.Subsets) == 0
	}
	if len(cur.Subsets) != 1 || !apiequality.Semantic.DeepEqual(cur.Subsets[0].Ports, want[0].Ports) ||
		len(cur.Subsets[0].Addresses) != len(want[0].Addresses) || len(cur.Subsets[0].NotReadyAddresses) != 0 {
		return false
	}
	seen := map[string]bool{}
	for _, a := range want[0].Addresses {
		seen[a.IP] = false
	}
	for _, a := range cur.Subsets[0].Addresses {
		if done, ok := seen[a.IP]; !ok || done {
			return false
		}
		seen[a.IP] = true
	}
	return true
}

// syncEndpointSlice mirrors the Endpoints into the EndpointSlice of the same name.
func (c *Controller) syncEndpointSlice(ctx context.Context, subsets []corev1.EndpointSubset) error {
	var endpoints []discoveryv1.Endpoint
	var ports []discoveryv1.EndpointPort
	if len(subsets) > 0 {
		for _, a := range subsets[0].Addresses {
			ready := true
			endpoints = append(endpoints, discoveryv1.Endpoint{Addresses: []string{a.IP}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}})
		}
		for _, p := range subsets[0].Ports {
			name, port, proto := p.Name, p.Port, p.Protocol
			ports = append(ports, discoveryv1.EndpointPort{Name: &name, Port: &port, Protocol: &proto})
		}
	}
	labels := map[string]string{discoveryv1.LabelServiceName: "kubernetes"}
	slice := &discoveryv1.EndpointSlice{
		ObjectMeta:  metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault, Labels: labels},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints:   endpoints,
		Ports:       ports,
	}
	return ensureEqual(ctx, c.cfg.Stores(sliceGVR), slice,
		func(cur runtime.Object) bool {
			s := cur.(*discoveryv1.EndpointSlice)
			return apiequality.Semantic.DeepEqual(s.Endpoints, endpoints) && apiequality.Semantic.DeepEqual(s.Ports, ports) &&
				apiequality.Semantic.DeepEqual(s.Labels, labels)
		},
		func(cur runtime.Object) {
			s := cur.(*discoveryv1.EndpointSlice)
			s.Endpoints, s.Ports, s.Labels = endpoints, ports, labels
		})
}
