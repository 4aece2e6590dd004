package portalloc

import (
	"context"
	"fmt"
	"log/slog"
	"math/big"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// leakRounds is how many repairs a taken port no Service uses survives before it is
// freed: a create may have taken it and not yet written its Service.
const leakRounds = 3

// RepairInterval is how often upstream's node port repair loop runs.
const RepairInterval = 3 * time.Minute

// Repairer rebuilds the bitmap from the node ports the Services use: after a
// restart, a crash between allocation and write, or a change of range.
type Repairer struct {
	alloc *Allocator
	// list returns every Service.
	list func(ctx context.Context) ([]corev1.Service, error)

	mu    sync.Mutex  // guards leaks
	leaks map[int]int // port → repairs left before it is freed
}

// NewRepairer returns a repairer of alloc's range over the Services list returns.
func NewRepairer(alloc *Allocator, list func(ctx context.Context) ([]corev1.Service, error)) *Repairer {
	return &Repairer{alloc: alloc, list: list, leaks: map[int]int{}}
}

// Run repairs every interval until ctx ends.
func (r *Repairer) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := r.RunOnce(ctx); err != nil && ctx.Err() == nil {
				slog.Warn("node port repair failed", "err", err)
			}
		}
	}
}

// RunOnce makes the stored bitmap hold exactly the ports Services use, plus ports
// that look leaked for fewer than leakRounds repairs. It logs ports used twice or
// out of range (upstream records events; such Services must be recreated).
func (r *Repairer) RunOnce(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	svcs, err := r.list(ctx)
	if err != nil {
		return fmt.Errorf("listing services for node port repair: %w", err)
	}
	rng := r.alloc.rng
	used := new(big.Int)
	for i := range svcs {
		for _, port := range ServiceNodePorts(&svcs[i]) {
			switch {
			case !rng.Contains(port):
				slog.Warn("node port out of range; recreate the service", "port", port, "range", rng.String(),
					"service", svcs[i].Namespace+"/"+svcs[i].Name)
			case used.Bit(port-rng.Base) == 1:
				slog.Warn("node port assigned to several services; recreate the service", "port", port,
					"service", svcs[i].Namespace+"/"+svcs[i].Name)
			default:
				used.SetBit(used, port-rng.Base, 1)
				delete(r.leaks, port)
			}
		}
	}
	return r.alloc.store.GuaranteedUpdate(ctx, r.alloc.key, &corev1.RangeAllocation{}, true, nil, func(cur runtime.Object) (runtime.Object, error) {
		ra := cur.(*corev1.RangeAllocation)
		rebuilt := new(big.Int).Set(used)
		if ra.Range == rng.String() {
			r.keepLeaks(new(big.Int).SetBytes(ra.Data), rebuilt)
		}
		ra.Range, ra.Data = rng.String(), rebuilt.Bytes()
		return ra, nil
	})
}

// keepLeaks carries stored ports no Service uses into rebuilt until they have been
// seen unused leakRounds times.
func (r *Repairer) keepLeaks(stored, rebuilt *big.Int) {
	for off := 0; off < stored.BitLen(); off++ {
		if stored.Bit(off) == 0 || rebuilt.Bit(off) == 1 {
			continue
		}
		port := r.alloc.rng.Base + off
		left, seen := r.leaks[port]
		if !seen {
			left = leakRounds - 1
		}
		if left > 0 {
			r.leaks[port] = left - 1
			rebuilt.SetBit(rebuilt, off, 1)
			continue
		}
		delete(r.leaks, port)
	}
}

// ServiceNodePorts lists the node ports a Service holds: its ports' nodePorts (a
// port shared by TCP and UDP counts once) and its healthCheckNodePort.
func ServiceNodePorts(svc *corev1.Service) []int {
	var out []int
	protos := map[int32]map[corev1.Protocol]bool{}
	for _, p := range svc.Spec.Ports {
		if p.NodePort == 0 {
			continue
		}
		seen := protos[p.NodePort]
		switch {
		case seen == nil:
			protos[p.NodePort] = map[corev1.Protocol]bool{p.Protocol: true}
			out = append(out, int(p.NodePort))
		case seen[p.Protocol]:
			out = append(out, int(p.NodePort)) // a true duplicate: repair reports it
		default:
			seen[p.Protocol] = true
		}
	}
	if hc := svc.Spec.HealthCheckNodePort; hc != 0 {
		if seen := protos[hc]; seen == nil || seen[corev1.ProtocolTCP] {
			out = append(out, int(hc))
		}
	}
	return out
}
