package webhook

import (
	"context"
	"encoding/json"
	"fmt"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// Mutating is the MutatingAdmissionWebhook plugin: it calls the matching mutating
// webhooks in order, applies their JSONPatches and, once, re-invokes the webhooks
// with reinvocationPolicy IfNeeded when a later webhook changed the object.
type Mutating struct{ p *plugin }

var _ endpoints.Admission = (*Mutating)(nil)

// NewMutating returns the plugin for cfg.Configurations
// (MutatingWebhookConfigurations); Run starts following them.
func NewMutating(cfg Config) *Mutating {
	return &Mutating{p: newPlugin(cfg, mutatingHooks)}
}

// Run follows the configurations until ctx ends; it returns at once.
func (m *Mutating) Run(ctx context.Context) { m.p.run(ctx) }

// WaitForSync blocks until the configurations were read once or ctx ends.
func (m *Mutating) WaitForSync(ctx context.Context) error { return m.p.WaitForSync(ctx) }

// Admit is Mutate under the name internal/admission's chain calls.
func (m *Mutating) Admit(ctx context.Context, a *endpoints.Attributes) error { return m.Mutate(ctx, a) }

// Validate does nothing: mutating webhooks only run in the mutating phase.
func (m *Mutating) Validate(context.Context, *endpoints.Attributes) error { return nil }

// Mutate implements endpoints.Admission.
func (m *Mutating) Mutate(ctx context.Context, a *endpoints.Attributes) error {
	if Exempt(a.Resource) {
		return nil
	}
	if err := m.p.notReady(ctx, a); err != nil {
		return err
	}
	hooks := m.p.currentHooks()
	if len(hooks) == 0 {
		return nil
	}
	t := newAttempt(ctx, a)
	// changes counts the patches applied; changedAt is changes when each
	// reinvocable webhook last ran.
	changes := 0
	changedAt := map[*hook]int{}
	for i, h := range hooks {
		changed, err := m.run(ctx, h, t, 0, i)
		if err != nil {
			return err
		}
		if changed {
			changes++
		}
		if h.reinvoke {
			changedAt[h] = changes
		}
	}
	// One reinvocation round: a webhook that asked for it runs again when the object
	// changed after it last ran.
	for i, h := range hooks {
		if at, ok := changedAt[h]; !ok || at == changes {
			continue
		}
		if _, err := m.run(ctx, h, t, 1, i); err != nil {
			return err
		}
	}
	return nil
}

// run calls one webhook if it matches and applies its patch; changed reports a
// patch that changed the object.
func (m *Mutating) run(ctx context.Context, h *hook, t *attempt, round, index int) (changed bool, err error) {
	inv, err := m.p.shouldCall(ctx, h, t)
	if err != nil || inv == nil {
		return false, err
	}
	failOpenKey := fmt.Sprintf("failed-open.mutation.webhook.admission.k8s.io/round_%d_index_%d", round, index)
	resp, err := m.p.call(ctx, inv, t)
	if err != nil {
		return false, failed(ctx, h, err, failOpenKey)
	}
	if !resp.Allowed {
		return false, denied(h.name, resp.Result)
	}
	if len(resp.Patch) == 0 {
		annotateMutation(ctx, h, round, index, false)
		return false, nil
	}
	if t.a.Object == nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q attempted to modify the object, which is not supported for this operation", h.name))
	}
	changed, err = m.apply(inv, t, resp)
	if err != nil {
		return false, failed(ctx, h, err, failOpenKey)
	}
	annotateMutation(ctx, h, round, index, changed)
	return changed, nil
}

// annotateMutation records for audit whether a called webhook changed the object,
// under upstream's mutation.webhook.admission.k8s.io/round_<r>_index_<i> key.
func annotateMutation(ctx context.Context, h *hook, round, index int, mutated bool) {
	raw, err := json.Marshal(struct {
		Configuration string `json:"configuration"`
		Webhook       string `json:"webhook"`
		Mutated       bool   `json:"mutated"`
	}{h.configuration, h.name, mutated})
	if err != nil {
		return
	}
	request.AddAuditAnnotation(ctx, fmt.Sprintf("mutation.webhook.admission.k8s.io/round_%d_index_%d", round, index), string(raw))
}

// apply patches the object in the webhook's version, decodes and defaults the
// result and writes it back into the stored-type object the chain carries.
func (m *Mutating) apply(inv *invocation, t *attempt, resp *admissionv1.AdmissionResponse) (bool, error) {
	h := inv.hook
	bad := func(format string, args ...any) error {
		return &callError{hook: h.name, reason: fmt.Errorf(format, args...)}
	}
	patch, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		return false, bad("received undecodable patch in webhook response: %w", err)
	}
	obj, _, err := m.p.objects(t, inv.kind)
	if err != nil {
		return false, bad("could not create admission objects: %w", err)
	}
	before, err := json.Marshal(obj)
	if err != nil {
		return false, bad("could not create admission objects: %w", err)
	}
	after, err := patch.Apply(before)
	if err != nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q returned a patch that could not be applied: %w", h.name, err))
	}
	if jsonpatch.Equal(before, after) {
		return false, nil
	}
	fresh, err := m.p.cfg.Scheme.New(obj.GetObjectKind().GroupVersionKind())
	if err != nil {
		return false, apierrors.NewInternalError(err)
	}
	if err := json.Unmarshal(after, fresh); err != nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q returned a patch that produced an invalid object: %w", h.name, err))
	}
	m.p.cfg.Scheme.Default(fresh)
	kept := t.a.Object.GetObjectKind().GroupVersionKind()
	if err := m.p.versions.Into(fresh, t.a.Object); err != nil {
		return false, apierrors.NewInternalError(err)
	}
	t.a.Object.GetObjectKind().SetGroupVersionKind(kept)
	clear(t.versioned)
	return true, nil
}
