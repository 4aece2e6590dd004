package policy

import (
	"context"
	"log/slog"
	"reflect"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// reportStatus writes each policy's status.typeChecking (the expressions that do
// not compile) and observedGeneration whenever a policy changes, until ctx ends.
func (p *Plugin) reportStatus(ctx context.Context) {
	var seen uint64
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if v := p.policies.Version(); v != seen && p.policies.Synced() {
			seen = v
			p.current()
			p.mu.Lock()
			todo := make([]*compiled, 0, len(p.compiledFor))
			for _, c := range p.compiledFor {
				todo = append(todo, c)
			}
			p.mu.Unlock()
			for _, c := range todo {
				if needsStatus(c) {
					p.writeStatus(ctx, c)
				}
			}
		}
	}
}

func needsStatus(c *compiled) bool {
	st := c.policy.Status
	if st.ObservedGeneration != c.policy.Generation {
		return true
	}
	var have []admissionregistrationv1.ExpressionWarning
	if st.TypeChecking != nil {
		have = st.TypeChecking.ExpressionWarnings
	}
	return !(len(have) == 0 && len(c.warnings) == 0) && !reflect.DeepEqual(have, c.warnings)
}

func (p *Plugin) writeStatus(ctx context.Context, c *compiled) {
	gen := c.policy.Generation
	warnings := c.warnings
	_, _, err := p.cfg.PolicyStatus.Update(ctx, "", c.policy.Name, "status", func(_ context.Context, cur runtime.Object) (runtime.Object, error) {
		pol, ok := cur.(*admissionregistrationv1.ValidatingAdmissionPolicy)
		if !ok {
			return cur, nil
		}
		pol = pol.DeepCopy()
		if pol.Generation != gen {
			// A newer generation is on its way through the watch.
			return pol, nil
		}
		pol.Status.ObservedGeneration = gen
		pol.Status.TypeChecking = &admissionregistrationv1.TypeChecking{ExpressionWarnings: warnings}
		return pol, nil
	}, nil, nil, false, false)
	if err != nil {
		slog.Warn("validating admission policy: status update failed", "policy", c.policy.Name, "err", err)
	}
}
