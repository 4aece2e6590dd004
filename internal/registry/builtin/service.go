package builtin

import (
	"context"
	"fmt"
	"net"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/controllers/ipalloc"
)

// serviceIPs gives Services their ClusterIPs on create and takes them back on delete.
type serviceIPs struct {
	alloc *ipalloc.Allocator
}

// beginCreate sets the IP family fields and allocates the ClusterIP (the one asked
// for, or a free one), as upstream's service REST does after validation.
func (s serviceIPs) beginCreate(ctx context.Context, obj runtime.Object, dryRun bool) (func(bool), error) {
	noop := func(bool) {}
	svc := obj.(*corev1.Service)
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return noop, nil
	}
	if len(svc.Spec.IPFamilies) == 0 {
		svc.Spec.IPFamilies = []corev1.IPFamily{corev1.IPv4Protocol}
	}
	if svc.Spec.IPFamilyPolicy == nil {
		single := corev1.IPFamilyPolicySingleStack
		svc.Spec.IPFamilyPolicy = &single
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
