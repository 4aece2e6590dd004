package webhook

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// Validating is the ValidatingAdmissionWebhook plugin: it calls the matching
// validating webhooks in parallel; the first refusal (in configuration order)
// refuses the request.
type Validating struct{ p *plugin }

var _ endpoints.Admission = (*Validating)(nil)

// NewValidating returns the plugin for cfg.Configurations
// (ValidatingWebhookConfigurations); Run starts following them.
func NewValidating(cfg Config) *Validating {
	return &Validating{p: newPlugin(cfg, validatingHooks)}
}

// Run follows the configurations until ctx ends; it returns at once.
func (v *Validating) Run(ctx context.Context) { v.p.run(ctx) }

// WaitForSync blocks until the configurations were read once or ctx ends.
func (v *Validating) WaitForSync(ctx context.Context) error { return v.p.WaitForSync(ctx) }

// Mutate does nothing: validating webhooks only run in the validating phase.
func (v *Validating) Mutate(context.Context, *endpoints.Attributes) error { return nil }

// Validate implements endpoints.Admission.
func (v *Validating) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if Exempt(a.Resource) {
		return nil
	}
	if err := v.p.notReady(ctx, a); err != nil {
		return err
	}
	hooks := v.p.currentHooks()
	if len(hooks) == 0 {
		return nil
	}
	t := newAttempt(ctx, a)
	var invs []*invocation
	var indexes []int
	for i, h := range hooks {
		inv, err := v.p.shouldCall(ctx, h, t)
		if err != nil {
			return err
		}
		if inv != nil {
			invs = append(invs, inv)
			indexes = append(indexes, i)
		}
	}
	if len(invs) == 0 {
		return nil
	}
	// Convert the objects once before the calls share the attempt read-only.
	for _, inv := range invs {
		if _, _, err := v.p.objects(t, inv.kind); err != nil {
			return failed(ctx, inv.hook, &callError{hook: inv.hook.name, reason: fmt.Errorf("could not create admission objects: %w", err)}, "")
		}
	}
	// The calls run at once: their span is what the SLI latency leaves out.
	defer func(start time.Time) { request.AddExcludedLatency(ctx, time.Since(start)) }(time.Now())
	errs := make([]error, len(invs))
	var wg sync.WaitGroup
	for i, inv := range invs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = v.one(ctx, inv, t, indexes[i])
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func (v *Validating) one(ctx context.Context, inv *invocation, t *attempt, index int) error {
	resp, err := v.p.call(ctx, inv, t)
	if err != nil {
		return failed(ctx, inv.hook, err, fmt.Sprintf("failed-open.validating.webhook.admission.k8s.io/round_0_index_%d", index))
	}
	if !resp.Allowed {
		return denied(inv.hook.name, resp.Result)
	}
	return nil
}
