// Package bootstrap creates and keeps the objects kube-apiserver maintains itself: the
// system namespaces, the `kubernetes` Service with its Endpoints and EndpointSlice,
// the default ServiceCIDR, the system priority classes, the apiserver identity Lease
// and the kube-system ConfigMaps clients read at start. It writes through the registry
// stores (the same object rules as any client, without admission).
package bootstrap

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	networkingv1 "k8s.io/api/networking/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/uuid"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/parallel"
	"github.com/kapi-dev/kapi/internal/registry"
)

// StoreFor returns the store serving a resource, or nil when it is not served.
type StoreFor func(gvr schema.GroupVersionResource) *registry.Store

// Config says what the objects must contain.
type Config struct {
	Stores           StoreFor
	AdvertiseAddress net.IP
	SecurePort       int
	ServiceRange     *net.IPNet
	// ClientCA is the PEM of the client CA, published in extension-apiserver-authentication.
	ClientCA []byte
	// AuthenticationData are further keys of extension-apiserver-authentication (the
	// front proxy's requestheader-* keys), published as given.
	AuthenticationData map[string]string
	Hostname           string
	// LocalAPIServices are the APIServices of the group versions the server serves.
	LocalAPIServices []*apiregistrationv1.APIService
	// Now returns the current time (tests fix it).
	Now func() time.Time

	// Etcd holds the master leases (<EtcdPrefix>/masterleases/<ip>) from which the
	// kubernetes Service's endpoints are computed; nil publishes no endpoints.
	Etcd       *clientv3.Client
	EtcdPrefix string
	// EndpointInterval and EndpointLeaseTTL default to upstream's 10 s and 15 s.
	EndpointInterval, EndpointLeaseTTL time.Duration
	// Ready reports whether the server serves; this instance's address is published
	// only from then on. Nil means ready.
	Ready func() bool
}

// Controller reconciles the bootstrap objects.
type Controller struct {
	cfg Config
	// identity is this instance's Lease name and holder.
	identity, holder string
	ep               endpointReconciler
}

// New returns a Controller for cfg.
func New(cfg Config) *Controller {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	sum := sha256.Sum256([]byte(cfg.Hostname))
	id := "apiserver-" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:16]))
	if cfg.EndpointInterval <= 0 {
		cfg.EndpointInterval = DefaultEndpointInterval
	}
	if cfg.EndpointLeaseTTL <= 0 {
		cfg.EndpointLeaseTTL = DefaultEndpointLeaseTTL
	}
	if cfg.EtcdPrefix == "" {
		cfg.EtcdPrefix = "/registry"
	}
	c := &Controller{cfg: cfg, identity: id, holder: id + "_" + string(uuid.NewUUID())}
	if cfg.Etcd != nil {
		c.ep.lock = make(chan struct{}, 1)
		c.ep.stopping, c.ep.stop = context.WithCancel(context.Background())
		c.ep.leases = &masterLeases{client: cfg.Etcd, dir: strings.TrimSuffix(cfg.EtcdPrefix, "/") + "/masterleases/", ttl: cfg.EndpointLeaseTTL}
	}
	return c
}

// Identity is this instance's identity Lease name.
func (c *Controller) Identity() string { return c.identity }

var (
	namespacesGVR     = corev1.SchemeGroupVersion.WithResource("namespaces")
	servicesGVR       = corev1.SchemeGroupVersion.WithResource("services")
	endpointsGVR      = corev1.SchemeGroupVersion.WithResource("endpoints")
	configMapsGVR     = corev1.SchemeGroupVersion.WithResource("configmaps")
	sliceGVR          = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")
	leasesGVR         = coordinationv1.SchemeGroupVersion.WithResource("leases")
	priorityGVR       = schedulingv1.SchemeGroupVersion.WithResource("priorityclasses")
	serviceCIDRGVR    = networkingv1.SchemeGroupVersion.WithResource("servicecidrs")
	systemNamespaces  = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}
	identityLeaseTime = int32(3600)
)

// Start creates every missing object, retrying while etcd settles, and returns once
// all exist. Objects of resources that are not served are skipped. The namespaces
// come first, as the other objects live in them; then the chains below run side by
// side (etcd commits their writes in shared batches), each step after the one
// before it.
func (c *Controller) Start(ctx context.Context) error {
	if err := retried(ctx, step{"namespaces", c.namespaces}); err != nil {
		return err
	}
	chains := [][]step{
		{{"service CIDR", c.serviceCIDR}, {"kubernetes service", c.kubernetesService},
			{"kubernetes endpoints", func(ctx context.Context) error { return c.withdrawEndpoints(ctx, false) }}},
		{{"priority classes", c.priorityClasses}},
		{{"identity lease", c.renewLease}},
		{{"configmaps", c.configMaps}},
		{{"local APIServices", c.apiServices}},
	}
	jobs := make([]func() error, len(chains))
	for i, chain := range chains {
		jobs[i] = func() error {
			for _, st := range chain {
				if err := retried(ctx, st); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return parallel.Run(len(jobs), jobs...)
}

// step is one part of Start.
type step struct {
	name string
	run  func(context.Context) error
}

// retried runs st until it succeeds, 50 times at most, 100 ms apart.
func retried(ctx context.Context, st step) error {
	var err error
	for attempt := 0; attempt < 50; attempt++ {
		if err = st.run(ctx); err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("bootstrap %s: %w", st.name, err)
}

// Run keeps the identity lease renewed, deletes expired identity leases of other
// instances (now and every IdentityLeaseGCPeriod) and, once the server is ready,
// keeps this instance's master lease and the endpoints current until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	go c.runEndpoints(ctx)
	c.collectIdentityLeases(ctx)
	renew := time.NewTicker(10 * time.Second)
	defer renew.Stop()
	gc := time.NewTicker(IdentityLeaseGCPeriod)
	defer gc.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-renew.C:
			_ = c.renewLease(ctx)
		case <-gc.C:
			c.collectIdentityLeases(ctx)
		}
	}
}

// ensure creates obj in its store unless an object of that name exists.
func ensure(ctx context.Context, st *registry.Store, obj runtime.Object) error {
	if st == nil {
		return nil
	}
	acc := obj.(metav1.Object)
	_, err := st.Get(ctx, acc.GetNamespace(), acc.GetName(), &metav1.GetOptions{})
	if err == nil {
		return nil
	}
	if !apierrors.IsNotFound(err) {
		return err
	}
	_, err = st.Create(ctx, acc.GetNamespace(), obj, st.ManagedBy(registry.ServerManager, ""), nil, false)
	if apierrors.IsAlreadyExists(err) {
		return nil
	}
	return err
}

// ensureEqual creates obj, or rewrites the existing object when want reports a
// difference; fix copies the desired fields onto the existing object.
func ensureEqual(ctx context.Context, st *registry.Store, obj runtime.Object, same func(cur runtime.Object) bool, fix func(cur runtime.Object)) error {
	if st == nil {
		return nil
	}
	acc := obj.(metav1.Object)
	cur, err := st.Get(ctx, acc.GetNamespace(), acc.GetName(), &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return ensure(ctx, st, obj)
	}
	if err != nil || same(cur) {
		return err
	}
	_, _, err = st.Update(ctx, acc.GetNamespace(), acc.GetName(), "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, errors.New("object vanished during update")
		}
		fix(current)
		return current, nil
	}, st.ManagedBy(registry.ServerManager, ""), nil, false, false)
	return err
}

// newNamespace is a namespace as upstream's defaulting makes it before its field
// manager runs: with its name label, which the server then owns.
func newNamespace(name string) *corev1.Namespace {
	return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelMetadataName: name}}}
}

func (c *Controller) namespaces(ctx context.Context) error {
	for _, name := range systemNamespaces {
		if err := ensure(ctx, c.cfg.Stores(namespacesGVR), newNamespace(name)); err != nil {
			return err
		}
	}
	return nil
}

func (c *Controller) serviceCIDR(ctx context.Context) error {
	err := ensure(ctx, c.cfg.Stores(serviceCIDRGVR), &networkingv1.ServiceCIDR{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes"},
		Spec:       networkingv1.ServiceCIDRSpec{CIDRs: []string{c.cfg.ServiceRange.String()}},
	})
	if err != nil {
		return err
	}
	return c.markServiceCIDRReady(ctx)
}

// firstIP is the ClusterIP of the kubernetes Service: the range's first address.
func firstIP(n *net.IPNet) net.IP {
	ip := append(net.IP(nil), n.IP.To16()...)
	if v4 := n.IP.To4(); v4 != nil {
		ip = append(net.IP(nil), v4...)
	}
	for i := len(ip) - 1; i >= 0; i-- {
		ip[i]++
		if ip[i] != 0 {
			break
		}
	}
	return ip
}

func (c *Controller) kubernetesService(ctx context.Context) error {
	single := corev1.IPFamilyPolicySingleStack
	cluster := corev1.ServiceInternalTrafficPolicyCluster
	ip := firstIP(c.cfg.ServiceRange).String()
	return ensure(ctx, c.cfg.Stores(servicesGVR), &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "kubernetes", Namespace: metav1.NamespaceDefault,
			Labels: map[string]string{"component": "apiserver", "provider": "kubernetes"}},
		Spec: corev1.ServiceSpec{
			Ports: []corev1.ServicePort{{Name: "https", Port: 443, Protocol: corev1.ProtocolTCP,
				TargetPort: intstr.FromInt32(int32(c.cfg.SecurePort))}},
			// The Service registry fills clusterIPs and ipFamilies, after the field
			// manager, as upstream's.
			ClusterIP: ip, Type: corev1.ServiceTypeClusterIP, SessionAffinity: corev1.ServiceAffinityNone,
			IPFamilyPolicy: &single, InternalTrafficPolicy: &cluster,
		},
	})
}

func (c *Controller) priorityClasses(ctx context.Context) error {
	preempt := corev1.PreemptLowerPriority
	for _, pc := range []*schedulingv1.PriorityClass{
		{ObjectMeta: metav1.ObjectMeta{Name: "system-cluster-critical"}, Value: 2000000000, PreemptionPolicy: &preempt,
			Description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary."},
		{ObjectMeta: metav1.ObjectMeta{Name: "system-node-critical"}, Value: 2000001000, PreemptionPolicy: &preempt,
			Description: "Used for system critical pods that must not be moved from their current node."},
	} {
		if err := ensure(ctx, c.cfg.Stores(priorityGVR), pc); err != nil {
			return err
		}
	}
	return nil
}

// renewLease creates or renews this instance's identity lease in kube-system.
// peerAddressAnnotation on an identity Lease is the address its instance's peers
// reach it at.
const peerAddressAnnotation = "kubernetes.io/peer-advertise-address"

func (c *Controller) renewLease(ctx context.Context) error {
	now := metav1.NewMicroTime(c.cfg.Now())
	lease := &coordinationv1.Lease{
		ObjectMeta: metav1.ObjectMeta{Name: c.identity, Namespace: metav1.NamespaceSystem,
			Labels: map[string]string{"apiserver.kubernetes.io/identity": "kube-apiserver", corev1.LabelHostname: c.cfg.Hostname}},
		Spec: coordinationv1.LeaseSpec{HolderIdentity: &c.holder, LeaseDurationSeconds: &identityLeaseTime, RenewTime: &now},
	}
	// Upstream publishes where its peers reach this instance.
	peer := ""
	if c.cfg.AdvertiseAddress != nil {
		peer = net.JoinHostPort(c.cfg.AdvertiseAddress.String(), strconv.Itoa(c.cfg.SecurePort))
		lease.Annotations = map[string]string{peerAddressAnnotation: peer}
	}
	return ensureEqual(ctx, c.cfg.Stores(leasesGVR), lease,
		func(runtime.Object) bool { return false },
		func(cur runtime.Object) {
			l := cur.(*coordinationv1.Lease)
			l.Spec.HolderIdentity, l.Spec.LeaseDurationSeconds, l.Spec.RenewTime = &c.holder, &identityLeaseTime, &now
			if peer != "" && l.Annotations[peerAddressAnnotation] != peer {
				if l.Annotations == nil {
					l.Annotations = map[string]string{}
				}
				l.Annotations[peerAddressAnnotation] = peer
			}
		})
}

func (c *Controller) configMaps(ctx context.Context) error {
	st := c.cfg.Stores(configMapsGVR)
	want := map[string]string{"client-ca-file": string(c.cfg.ClientCA)}
	for k, v := range c.cfg.AuthenticationData {
		want[k] = v
	}
	auth := &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "extension-apiserver-authentication", Namespace: metav1.NamespaceSystem},
		Data:       want,
	}
	if err := ensureEqual(ctx, st, auth,
		func(cur runtime.Object) bool {
			data := cur.(*corev1.ConfigMap).Data
			for k, v := range want {
				if got, ok := data[k]; !ok || got != v {
					return false
				}
			}
			return true
		},
		func(cur runtime.Object) {
			cm := cur.(*corev1.ConfigMap)
			if cm.Data == nil {
				cm.Data = map[string]string{}
			}
			for k, v := range want {
				cm.Data[k] = v
			}
		}); err != nil {
		return err
	}
	return ensure(ctx, st, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "kube-apiserver-legacy-service-account-token-tracking", Namespace: metav1.NamespaceSystem},
		Data:       map[string]string{"since": c.cfg.Now().UTC().Format(time.DateOnly)},
	})
}
