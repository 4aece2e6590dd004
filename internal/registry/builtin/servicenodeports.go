package builtin

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/registry"
)

// serviceNodePorts gives NodePort and LoadBalancer Services their node ports and
// LoadBalancers with externalTrafficPolicy Local their healthCheckNodePort, and
// takes them back on delete and on type changes, as upstream's service REST does.
type serviceNodePorts struct {
	alloc *portalloc.Allocator
}

// needsNodePorts: NodePort Services, and LoadBalancers unless they opted out.
func needsNodePorts(svc *corev1.Service) bool {
	switch svc.Spec.Type {
	case corev1.ServiceTypeNodePort:
		return true
	case corev1.ServiceTypeLoadBalancer:
		return svc.Spec.AllocateLoadBalancerNodePorts == nil || *svc.Spec.AllocateLoadBalancerNodePorts
	}
	return false
}

// needsHealthCheckPort: LoadBalancers that keep traffic on the receiving node.
func needsHealthCheckPort(svc *corev1.Service) bool {
	return svc.Spec.Type == corev1.ServiceTypeLoadBalancer && svc.Spec.ExternalTrafficPolicy == corev1.ServiceExternalTrafficPolicyLocal
}

// nodePortOp collects what one write takes and gives back, so the write's outcome
// settles it: on success the ports given back are freed, on failure the ports
// taken are. On a dry run it only checks, remembering the ports it would take.
type nodePortOp struct {
	ctx     context.Context
	alloc   *portalloc.Allocator
	dryRun  bool
	taken   []int
	release []int
	pending map[int]bool
}

func (s serviceNodePorts) op(ctx context.Context, dryRun bool) *nodePortOp {
	return &nodePortOp{ctx: ctx, alloc: s.alloc, dryRun: dryRun, pending: map[int]bool{}}
}

func (o *nodePortOp) allocate(port int) error {
	var err error
	if o.dryRun {
		err = o.alloc.Check(o.ctx, port, o.pending)
	} else {
		err = o.alloc.Allocate(o.ctx, port)
	}
	if err == nil {
		o.pending[port] = true
		o.taken = append(o.taken, port)
	}
	return err
}

func (o *nodePortOp) allocateNext() (int, error) {
	var port int
	var err error
	if o.dryRun {
		port, err = o.alloc.Peek(o.ctx, o.pending)
	} else {
		port, err = o.alloc.AllocateNext(o.ctx)
	}
	if err == nil {
		o.pending[port] = true
		o.taken = append(o.taken, port)
	}
	return port, err
}

// finish settles the operation once the write's outcome is known.
func (o *nodePortOp) finish(ok bool) {
	if o.dryRun {
		return
	}
	ctx := context.WithoutCancel(o.ctx)
	if ok {
		_ = o.alloc.Release(ctx, o.release...)
	} else {
		_ = o.alloc.Release(ctx, o.taken...)
	}
}

// fail gives back what the operation took and returns err.
func (o *nodePortOp) fail(err error) error {
	o.finish(false)
	return err
}

// beginCreate allocates the node ports of a new Service: the ones asked for, a free
// one for each other port (ports with the same number share one node port), and the
// health check port.
func (s serviceNodePorts) beginCreate(ctx context.Context, obj runtime.Object, dryRun bool) (func(bool), error) {
	svc := obj.(*corev1.Service)
	op := s.op(ctx, dryRun)
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		if err := s.initPorts(svc, op); err != nil {
			return nil, op.fail(err)
		}
	}
	if needsHealthCheckPort(svc) {
		if err := allocHealthCheckPort(svc, op); err != nil {
			return nil, op.fail(err)
		}
	}
	return op.finish, nil
}

func (s serviceNodePorts) initPorts(svc *corev1.Service, op *nodePortOp) error {
	byPort := map[int32]int32{} // service port → node port given to it
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 && !needsNodePorts(svc) {
			continue // LoadBalancer without node ports: only explicit requests are honoured
		}
		given := byPort[p.Port]
		if given == 0 {
			requested := p.NodePort
			if requested == 0 {
				requested = requestedNodePort(svc.Spec.Ports[i:], p.Port)
			}
			if requested != 0 {
				if err := op.allocate(int(requested)); err != nil {
					return nodePortInvalid(svc, i, requested, err)
				}
				p.NodePort = requested
			} else {
				port, err := op.allocateNext()
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
				}
				p.NodePort = int32(port)
			}
			byPort[p.Port] = p.NodePort
			continue
		}
		if p.NodePort == 0 {
			p.NodePort = given
		} else if p.NodePort != given {
			if err := op.allocate(int(p.NodePort)); err != nil {
				return nodePortInvalid(svc, i, p.NodePort, err)
			}
		}
	}
	return nil
}

// requestedNodePort finds a node port the user asked for on a later entry with the
// same service port number, so that TCP and UDP entries share it.
func requestedNodePort(ports []corev1.ServicePort, port int32) int32 {
	for _, p := range ports {
		if p.Port == port && p.NodePort != 0 {
			return p.NodePort
		}
	}
	return 0
}

func nodePortInvalid(svc *corev1.Service, i int, port int32, err error) error {
	return apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("Service").GroupKind(), svc.Name, field.ErrorList{
		field.Invalid(field.NewPath("spec", "ports").Index(i).Child("nodePort"), port, err.Error()),
	})
}

func allocHealthCheckPort(svc *corev1.Service, op *nodePortOp) error {
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 {
		if err := op.allocate(int(hc)); err != nil {
			return apierrors.NewInternalError(fmt.Errorf("failed to allocate requested HealthCheck NodePort %v: %v", hc, err))
		}
		return nil
	}
	port, err := op.allocateNext()
	if err != nil {
		return apierrors.NewInternalError(fmt.Errorf("failed to allocate a HealthCheck NodePort %v: %v", port, err))
	}
	svc.Spec.HealthCheckNodePort = int32(port)
	return nil
}

// beginUpdate takes the node ports an update adds and, once it is written, frees the
// ones it drops (a type change to ClusterIP or ExternalName, a removed port, the end
// of externalTrafficPolicy Local).
func (s serviceNodePorts) beginUpdate(ctx context.Context, obj, old runtime.Object, dryRun bool) (func(bool), error) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	op := s.op(ctx, dryRun)
	oldPorts := portalloc.ServiceNodePorts(oldSvc)
	if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		if err := updatePorts(svc, oldPorts, op); err != nil {
			return nil, op.fail(err)
		}
	} else if oldSvc.Spec.Type == corev1.ServiceTypeNodePort || oldSvc.Spec.Type == corev1.ServiceTypeLoadBalancer {
		op.release = append(op.release, oldPorts...)
	}
	switch had, needs := needsHealthCheckPort(oldSvc), needsHealthCheckPort(svc); {
	case !had && needs:
		if err := allocHealthCheckPort(svc, op); err != nil {
			return nil, op.fail(err)
		}
	case had && !needs:
		op.release = append(op.release, int(oldSvc.Spec.HealthCheckNodePort))
	}
	return op.finish, nil
}

func updatePorts(svc *corev1.Service, oldPorts []int, op *nodePortOp) error {
	type protoPort struct {
		proto corev1.Protocol
		port  int32
	}
	var seen []protoPort
	taken := map[int32]bool{}
	for i := range svc.Spec.Ports {
		p := &svc.Spec.Ports[i]
		if p.NodePort == 0 && !needsNodePorts(svc) {
			continue
		}
		if p.NodePort != 0 {
			if !slices.Contains(oldPorts, int(p.NodePort)) && !taken[p.NodePort] {
				if err := op.allocate(int(p.NodePort)); err != nil {
					return nodePortInvalid(svc, i, p.NodePort, err)
				}
				taken[p.NodePort] = true
			}
		} else {
			port, err := op.allocateNext()
			if err != nil {
				return apierrors.NewInternalError(fmt.Errorf("failed to allocate a nodePort: %w", err))
			}
			p.NodePort = int32(port)
		}
		pp := protoPort{p.Protocol, p.NodePort}
		if slices.Contains(seen, pp) {
			return apierrors.NewInternalError(errors.New("duplicate nodePort: " + fmt.Sprint(p.NodePort)))
		}
		seen = append(seen, pp)
	}
	now := portalloc.ServiceNodePorts(svc)
	for _, port := range oldPorts {
		if !slices.Contains(now, port) {
			op.release = append(op.release, port)
		}
	}
	return nil
}

// afterDelete frees a deleted Service's node ports.
func (s serviceNodePorts) afterDelete(ctx context.Context, obj runtime.Object) {
	_ = s.alloc.Release(ctx, portalloc.ServiceNodePorts(obj.(*corev1.Service))...)
}

// prepareForUpdate keeps node ports a client left out (re-applying the manifest it
// created the Service from), and drops the ones a type change leaves unneeded when
// the client did not touch them, as upstream's service strategy does.
func prepareServiceNodePortsForUpdate(obj, old runtime.Object) {
	svc, oldSvc := obj.(*corev1.Service), old.(*corev1.Service)
	if needsNodePorts(oldSvc) && needsNodePorts(svc) {
		used := map[int32]bool{}
		for _, p := range svc.Spec.Ports {
			if p.NodePort != 0 && slices.ContainsFunc(oldSvc.Spec.Ports, func(o corev1.ServicePort) bool { return o.NodePort == p.NodePort }) {
				used[p.NodePort] = true
			}
		}
		byName := map[string]int32{}
		for _, p := range oldSvc.Spec.Ports {
			byName[p.Name] = p.NodePort
		}
		for i := range svc.Spec.Ports {
			if p := &svc.Spec.Ports[i]; p.NodePort == 0 && !used[byName[p.Name]] {
				p.NodePort = byName[p.Name]
			}
		}
	}
	if needsHealthCheckPort(oldSvc) && needsHealthCheckPort(svc) && svc.Spec.HealthCheckNodePort == 0 {
		svc.Spec.HealthCheckNodePort = oldSvc.Spec.HealthCheckNodePort
	}
	if needsNodePorts(oldSvc) && !needsNodePorts(svc) && sameNodePorts(svc, oldSvc) {
		for i := range svc.Spec.Ports {
			svc.Spec.Ports[i].NodePort = 0
		}
	}
	if needsHealthCheckPort(oldSvc) && !needsHealthCheckPort(svc) && svc.Spec.HealthCheckNodePort == oldSvc.Spec.HealthCheckNodePort {
		svc.Spec.HealthCheckNodePort = 0
	}
}

// sameNodePorts reports whether the ports of a and b carry the same node ports in
// the same order (the client did not touch them).
func sameNodePorts(a, b *corev1.Service) bool {
	if len(a.Spec.Ports) != len(b.Spec.Ports) {
		return false
	}
	for i := range a.Spec.Ports {
		if a.Spec.Ports[i].NodePort != b.Spec.Ports[i].NodePort {
			return false
		}
	}
	return true
}

// chainBegin runs two BeginCreate-style hooks in order; when the second fails the
// first's reservation is given back.
func chainBegin(first, second func(context.Context, runtime.Object, bool) (func(bool), error)) func(context.Context, runtime.Object, bool) (func(bool), error) {
	return func(ctx context.Context, obj runtime.Object, dryRun bool) (func(bool), error) {
		f1, err := first(ctx, obj, dryRun)
		if err != nil {
			return nil, err
		}
		f2, err := second(ctx, obj, dryRun)
		if err != nil {
			f1(false)
			return nil, err
		}
		return func(ok bool) { f1(ok); f2(ok) }, nil
	}
}

// beginUpdateFunc is the type of registry.Resource's BeginUpdate.
type beginUpdateFunc = func(ctx context.Context, obj, old runtime.Object, dryRun bool) (func(bool), error)

// chainBeginUpdate is chainBegin for BeginUpdate hooks: both see the same old object.
func chainBeginUpdate(first, second beginUpdateFunc) beginUpdateFunc {
	return func(ctx context.Context, obj, old runtime.Object, dryRun bool) (func(bool), error) {
		withOld := func(f beginUpdateFunc) func(context.Context, runtime.Object, bool) (func(bool), error) {
			return func(ctx context.Context, obj runtime.Object, dryRun bool) (func(bool), error) {
				return f(ctx, obj, old, dryRun)
			}
		}
		return chainBegin(withOld(first), withOld(second))(ctx, obj, dryRun)
	}
}

// withNodePorts adds node port allocation to the Service resource's hooks.
func withNodePorts(svc *registry.Resource, ports serviceNodePorts) {
	if svc.BeginCreate != nil {
		svc.BeginCreate = chainBegin(svc.BeginCreate, ports.beginCreate)
	} else {
		svc.BeginCreate = ports.beginCreate
	}
	afterIPs := svc.AfterDelete
	svc.AfterDelete = func(ctx context.Context, obj runtime.Object) {
		if afterIPs != nil {
			afterIPs(ctx, obj)
		}
		ports.afterDelete(ctx, obj)
	}
	if svc.BeginUpdate != nil {
		svc.BeginUpdate = chainBeginUpdate(svc.BeginUpdate, ports.beginUpdate)
	} else {
		svc.BeginUpdate = ports.beginUpdate
	}
	prepare := svc.PrepareForUpdate
	svc.PrepareForUpdate = func(obj, old runtime.Object) {
		if prepare != nil {
			prepare(obj, old)
		}
		prepareServiceNodePortsForUpdate(obj, old)
	}
}
