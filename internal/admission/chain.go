package admission

import (
	"context"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// Mutator is a plugin that may change the object being admitted.
type Mutator interface {
	Admit(ctx context.Context, a *endpoints.Attributes) error
}

// Validator is a plugin that may only accept or refuse the request.
type Validator interface {
	Validate(ctx context.Context, a *endpoints.Attributes) error
}

// NamedPlugin is one link of the chain: Plugin implements Mutator, Validator or both.
type NamedPlugin struct {
	Name   string
	Plugin any
}

// Chain runs its plugins as upstream's admission chain does: all mutations in order,
// then (after the object was prepared and validated) all validations in order. The
// first error stops the chain. Other packages (webhooks, policies) add themselves by
// appending a NamedPlugin at the position upstream's order gives them.
type Chain []NamedPlugin

var _ endpoints.Admission = Chain(nil)

// Mutate implements endpoints.Admission. When a webhook or policy changed the
// object, every mutating plugin runs a second time, as upstream's reinvoker does:
// built-in plugins are idempotent, and webhooks and policies only rerun the
// invocations with reinvocationPolicy IfNeeded that a later change concerns.
func (c Chain) Mutate(ctx context.Context, a *endpoints.Attributes) error {
	return Reinvoke(ctx, a, func(ctx context.Context, _ *Reinvocation) error {
		for _, p := range c {
			if m, ok := p.Plugin.(Mutator); ok {
				if err := m.Admit(ctx, a); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Validate implements endpoints.Admission.
func (c Chain) Validate(ctx context.Context, a *endpoints.Attributes) error {
	for _, p := range c {
		if v, ok := p.Plugin.(Validator); ok {
			if err := v.Validate(ctx, a); err != nil {
				return err
			}
		}
	}
	return nil
}

// Names lists the plugins of the chain in order.
func (c Chain) Names() []string {
	out := make([]string, len(c))
	for i, p := range c {
		out[i] = p.Name
	}
	return out
}

// Insert returns the chain with p placed where upstream's order puts its name, so a
// plugin built elsewhere (a webhook) lands between the right neighbours.
func (c Chain) Insert(p NamedPlugin) Chain {
	pos := orderIndex(p.Name)
	for i, q := range c {
		if orderIndex(q.Name) > pos {
			out := append(Chain{}, c[:i]...)
			out = append(out, p)
			return append(out, c[i:]...)
		}
	}
	return append(c, p)
}

// Runner is a plugin with background work (ResourceQuota's recount).
type Runner interface {
	Run(ctx context.Context)
}

// Run starts the background work of every plugin that has some; it returns at once.
func (c Chain) Run(ctx context.Context) {
	for _, p := range c {
		if r, ok := p.Plugin.(Runner); ok {
			go r.Run(ctx)
		}
	}
}
