package builtin

import (
	"context"
	"fmt"
	"net"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kapi-dev/kapi/internal/controllers/ipalloc"
)

// serviceIPs gives Services their ClusterIPs on create (and when they stop being
// ExternalNames) and takes them back on delete (and when they become ones).
type serviceIPs struct {
	alloc *ipalloc.Allocator
}

// beginCreate sets the IP family fields and allocates the ClusterIP (the one asked
// for, or a free one), as upstream's service REST does after validation.
func (s serviceIPs) beginCreate(ctx context.Context, obj runtime.Object, dryRun bool) (func(bool), error) {
	svc := obj.(*corev1.Service)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return func(bool) {}, nil
	}
	return s.allocate(ctx, svc, dryRun)
}

// beginUpdate gives a Service that stops being an ExternalName its ClusterIP, and
// frees the ClusterIPs of one that becomes an ExternalName once that is written.
// Otherwise the addresses stay: validation keeps them unchanged.
func (s serviceIPs) beginUpdate(ctx context.Context, obj, old runtime.Object, dryRun bool) (func(bool), error) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	switch had, needs := needsClusterIP(oldSvc), needsClusterIP(svc); {
	case !had && needs:
		return s.allocate(ctx, svc, dryRun)
	case had && needs:
		return func(bool) {}, s.initIPFamilies(svc, oldSvc)
	case had && !needs && !dryRun:
		return func(ok bool) {
			if ok {
				s.afterDelete(context.Background(), oldSvc)
			}
		}, nil
	}
	return func(bool) {}, nil
}

// allocate sets svc's IP family fields and takes its ClusterIP.
func (s serviceIPs) allocate(ctx context.Context, svc *corev1.Service, dryRun bool) (func(bool), error) {
	noop := func(bool) {}
	if err := s.initIPFamilies(svc, nil); err != nil {
		return nil, err
	}
	if svc.Spec.ClusterIP == corev1.ClusterIPNone {
		svc.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
		return noop, nil
	}
	owner := ipalloc.Owner{Namespace: svc.Namespace, Name: svc.Name}
	if svc.Spec.ClusterIP == "" {
		if dryRun {
			// The answer shows the address a real create would get; nothing is taken.
			ip, err := s.alloc.Peek(ctx)
			if err != nil {
				return nil, apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", err))
			}
			svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip.String(), []string{ip.String()}
			return noop, nil
		}
		ip, err := s.alloc.Allocate(ctx, owner)
		if err != nil {
			return nil, apierrors.NewInternalError(fmt.Errorf("failed to allocate a serviceIP: %v", err))
		}
		svc.Spec.ClusterIP, svc.Spec.ClusterIPs = ip.String(), []string{ip.String()}
		return s.releaseUnless(ip), nil
	}
	ip := net.ParseIP(svc.Spec.ClusterIP)
	svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	take := s.alloc.AllocateSpecific
	if dryRun {
		take = func(ctx context.Context, ip net.IP, _ ipalloc.Owner) error { return s.alloc.CheckSpecific(ctx, ip) }
	}
	if err := take(ctx, ip, owner); err != nil {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, field.ErrorList{
			field.Invalid(field.NewPath("spec", "clusterIPs"), svc.Spec.ClusterIPs, fmt.Sprintf("failed to allocate IP %s: %v", ip, err)),
		})
	}
	if dryRun {
		return noop, nil
	}
	return s.releaseUnless(ip), nil
}

func (s serviceIPs) releaseUnless(ip net.IP) func(bool) {
	return func(ok bool) {
		if !ok {
			_ = s.alloc.Release(context.Background(), ip)
		}
	}
}

// afterDelete releases a deleted Service's ClusterIPs.
func (s serviceIPs) afterDelete(ctx context.Context, obj runtime.Object) {
	svc := obj.(*corev1.Service)
	for _, ip := range svc.Spec.ClusterIPs {
		if parsed := net.ParseIP(ip); parsed != nil {
			_ = s.alloc.Release(ctx, parsed)
		}
	}
}

// prepareServiceForCreate gives a Service that names only clusterIP (a client
// older than dual-stack) the same clusterIPs, as upstream does before looking at
// either; one that names only clusterIPs is refused by validation.
func prepareServiceForCreate(obj runtime.Object) {
	svc := obj.(*corev1.Service)
	if svc.Spec.ClusterIP != "" && len(svc.Spec.ClusterIPs) == 0 {
		svc.Spec.ClusterIPs = []string{svc.Spec.ClusterIP}
	}
	dropExternalNameTrafficPolicy(svc)
}

func needsClusterIP(svc *corev1.Service) bool { return svc.Spec.Type != corev1.ServiceTypeExternalName }

// prepareServiceForUpdate does what upstream's service REST and strategy do to an
// update before validation: it keeps the ClusterIPs and IP families a client left
// out (re-sending the manifest it created the Service from), keeps ClusterIP and
// ClusterIPs in step, and clears the fields a type change leaves meaningless when
// the client did not change them (the addresses, IP families and internal traffic
// policy of a Service becoming an ExternalName, a load balancer's class and
// status, the external traffic policy of a Service no longer reachable from
// outside).
func prepareServiceForUpdate(obj, old runtime.Object) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	spec, oldSpec := &svc.Spec, &oldSvc.Spec
	if needsClusterIP(oldSvc) && needsClusterIP(svc) {
		if spec.ClusterIP == "" {
			spec.ClusterIP = oldSpec.ClusterIP
		}
		if len(spec.ClusterIPs) == 0 {
			spec.ClusterIPs = oldSpec.ClusterIPs
		}
		if len(spec.IPFamilies) == 0 {
			spec.IPFamilies = oldSpec.IPFamilies
		}
		if spec.IPFamilyPolicy == nil {
			spec.IPFamilyPolicy = oldSpec.IPFamilyPolicy
		}
	}
	if len(oldSpec.ClusterIPs) > 0 && len(spec.ClusterIPs) == 0 && spec.ClusterIP == oldSpec.ClusterIP {
		spec.ClusterIPs = oldSpec.ClusterIPs
	}
	if spec.ClusterIP != oldSpec.ClusterIP && slices.Equal(spec.ClusterIPs, oldSpec.ClusterIPs) {
		// The client changed only the singular field: the plural follows (and
		// validation judges the change).
		spec.ClusterIPs = nil
		if spec.ClusterIP != "" {
			spec.ClusterIPs = []string{spec.ClusterIP}
		}
	}

	if needsClusterIP(oldSvc) && !needsClusterIP(svc) {
		if spec.ClusterIP == oldSpec.ClusterIP && slices.Equal(spec.ClusterIPs, oldSpec.ClusterIPs) {
			spec.ClusterIP, spec.ClusterIPs = "", nil
		}
		if slices.Equal(spec.IPFamilies, oldSpec.IPFamilies) {
			spec.IPFamilies = nil
		}
		if ptr.Deref(spec.IPFamilyPolicy, "") == ptr.Deref(oldSpec.IPFamilyPolicy, "") {
			spec.IPFamilyPolicy = nil
		}
	}
	wasLB, isLB := oldSpec.Type == corev1.ServiceTypeLoadBalancer, spec.Type == corev1.ServiceTypeLoadBalancer
	if wasLB && !isLB {
		if spec.AllocateLoadBalancerNodePorts != nil && oldSpec.AllocateLoadBalancerNodePorts != nil &&
			*spec.AllocateLoadBalancerNodePorts == *oldSpec.AllocateLoadBalancerNodePorts {
			spec.AllocateLoadBalancerNodePorts = nil
		}
		if ptr.Equal(spec.LoadBalancerClass, oldSpec.LoadBalancerClass) {
			spec.LoadBalancerClass = nil
		}
	}
	if externallyReachable(oldSvc) && !externallyReachable(svc) && spec.ExternalTrafficPolicy == oldSpec.ExternalTrafficPolicy {
		spec.ExternalTrafficPolicy = ""
	}
	if !isLB {
		svc.Status.LoadBalancer = corev1.LoadBalancerStatus{}
	}
	dropExternalNameTrafficPolicy(svc)
}

// dropExternalNameTrafficPolicy: an ExternalName has no internal traffic policy.
// Upstream stores one it was given (or had before becoming an ExternalName) and
// drops it from every read; kapi drops it before the write, which reads the same.
func dropExternalNameTrafficPolicy(svc *corev1.Service) {
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		svc.Spec.InternalTrafficPolicy = nil
	}
}

// externallyReachable: node ports, a load balancer or external IPs lead to the
// Service from outside the cluster.
func externallyReachable(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeLoadBalancer, corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeClusterIP:
		return len(svc.Spec.ExternalIPs) > 0
	}
	return false
}
