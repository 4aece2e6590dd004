package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// mutatingName is the plugin's upstream name; it keys the plugin's reinvocation
// state in the admission chain's.
const mutatingName = "MutatingAdmissionWebhook"

// Mutating is the MutatingAdmissionWebhook plugin: it calls the matching mutating
// webhooks in order and applies their JSONPatches. Webhooks with
// reinvocationPolicy IfNeeded are called again in the admission chain's second
// pass when a later webhook, policy or plugin changed the object after them.
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

// Mutate implements endpoints.Admission. Inside the admission chain it is one pass
// of the chain's mutating phase; used on its own it reinvokes itself as a chain of
// one would.
func (m *Mutating) Mutate(ctx context.Context, a *endpoints.Attributes) error {
	if Exempt(a.Resource) {
		return nil
	}
	if err := m.p.notReady(ctx, a); err != nil {
		return err
	}
	return admission.Reinvoke(ctx, a, func(ctx context.Context, r *admission.Reinvocation) error {
		return m.pass(ctx, a, r)
	})
}

// pass calls the webhooks once; in the second pass only those the tracker sent to
// reinvocation. A webhook that did not match in the first pass is never called
// in the second, as upstream.
func (m *Mutating) pass(ctx context.Context, a *endpoints.Attributes, r *admission.Reinvocation) error {
	hooks := m.p.currentHooks()
	if len(hooks) == 0 {
		return nil
	}
	tr := admission.TrackerFor[string](r, mutatingName)
	tr.Begin(a.Object)
	defer func() { tr.End(a.Object) }()
	round := 0
	if r.IsReinvoke() {
		round = 1
	}
	t := newAttempt(ctx, a)
	// Webhook names need not be unique: the nth of a name in a configuration is
	// configuration/name/n, as upstream names them.
	seen := map[[2]string]int{}
	for i, h := range hooks {
		n := seen[[2]string{h.configuration, h.name}]
		seen[[2]string{h.configuration, h.name}] = n + 1
		uid := fmt.Sprintf("%s/%s/%d", h.configuration, h.name, n)
		inv, err := m.p.shouldCall(ctx, h, t)
		if err != nil {
			return err
		}
		if inv == nil || tr.Skip(uid) {
			continue
		}
		changed, err := m.call(ctx, inv, t, round, i)
		tr.Ran(uid, changed, h.reinvoke)
		if err != nil {
			return err
		}
	}
	return nil
}

// call calls one webhook and applies its patch; changed reports a patch that
// changed the object. Every call is noted for audit, whatever its outcome.
func (m *Mutating) call(ctx context.Context, inv *invocation, t *attempt, round, index int) (changed bool, err error) {
	h := inv.hook
	defer func() { annotateMutation(ctx, h, round, index, changed) }()
	failOpenKey := fmt.Sprintf("failed-open.mutation.webhook.admission.k8s.io/round_%d_index_%d", round, index)
	start := time.Now()
	resp, err := m.p.call(ctx, inv, t)
	request.AddExcludedLatency(ctx, time.Since(start))
	if err != nil {
		return false, failed(ctx, h, err, failOpenKey)
	}
	if !resp.Allowed {
		return false, denied(h.name, resp.Result)
	}
	if len(resp.Patch) == 0 {
		return false, nil
	}
	patch, err := jsonpatch.DecodePatch(resp.Patch)
	if err != nil {
		return false, failed(ctx, h, &callError{hook: h.name, reason: fmt.Errorf("received undecodable patch in webhook response: %w", err)}, failOpenKey)
	}
	if len(patch) == 0 {
		return false, nil
	}
	if t.a.Object == nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q attempted to modify the object, which is not supported for this operation", h.name))
	}
	changed, err = m.apply(inv, t, patch)
	if err != nil {
		return false, failed(ctx, h, err, failOpenKey)
	}
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
// result and writes it back into the stored-type object the chain carries. A patch
// whose result decodes to the same object (it touched only fields the type does
// not have) changes nothing, as upstream compares the decoded objects.
func (m *Mutating) apply(inv *invocation, t *attempt, patch jsonpatch.Patch) (bool, error) {
	h := inv.hook
	obj, _, err := m.p.objects(t, inv.kind)
	if err != nil {
		return false, &callError{hook: h.name, reason: fmt.Errorf("could not create admission objects: %w", err)}
	}
	before, err := json.Marshal(obj)
	if err != nil {
		return false, &callError{hook: h.name, reason: fmt.Errorf("could not create admission objects: %w", err)}
	}
	after, err := patch.Apply(before)
	if err != nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q returned a patch that could not be applied: %w", h.name, err))
	}
	if jsonpatch.Equal(before, after) {
		return false, nil
	}
	fresh, err := m.newLike(obj)
	if err != nil {
		return false, apierrors.NewInternalError(err)
	}
	if err := json.Unmarshal(after, fresh); err != nil {
		return false, apierrors.NewInternalError(fmt.Errorf("admission webhook %q returned a patch that produced an invalid object: %w", h.name, err))
	}
	if decoded, err := json.Marshal(fresh); err == nil && jsonpatch.Equal(before, decoded) {
		return false, nil
	}
	versions := m.p.versions.For(t.a)
	versions.Default(fresh)
	kept := t.a.Object.GetObjectKind().GroupVersionKind()
	if err := versions.Into(fresh, t.a.Object); err != nil {
		return false, apierrors.NewInternalError(err)
	}
	t.a.Object.GetObjectKind().SetGroupVersionKind(kept)
	clear(t.versioned)
	return true, nil
}

// newLike returns an empty object of obj's kind: unstructured for a custom
// resource, the registered type otherwise.
func (m *Mutating) newLike(obj runtime.Object) (runtime.Object, error) {
	if _, ok := obj.(*unstructured.Unstructured); ok {
		return &unstructured.Unstructured{}, nil
	}
	return m.p.cfg.Scheme.New(obj.GetObjectKind().GroupVersionKind())
}
