package admission

import (
	"context"

	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/endpoints"
)

// Reinvocation is one admission attempt's state for reinvocationPolicy IfNeeded, as
// upstream keeps it: the mutating phase runs once and, when a plugin asks for it
// (a webhook or policy changed the object), once more over every mutating plugin,
// in which webhooks and policies run only the invocations their Tracker sent to
// reinvocation. There is never a third pass. It belongs to the goroutine admitting
// the request and is not safe for concurrent use.
type Reinvocation struct {
	// attrs is the request the state belongs to; a nested admission of another
	// object gets its own.
	attrs      *endpoints.Attributes
	reinvoking bool
	requested  bool
	// trackers hold each plugin's bookkeeping by plugin name.
	trackers map[string]any
}

// IsReinvoke reports whether this is the second pass.
func (r *Reinvocation) IsReinvoke() bool { return r.reinvoking }

// RequestReinvoke asks for a second pass of the mutating phase.
func (r *Reinvocation) RequestReinvoke() { r.requested = true }

type reinvocationKey struct{}

// Reinvoke runs pass (the mutating phase of the chain, or of a plugin admitting on
// its own) the way upstream's reinvoker runs its chain: once, then once more when a
// plugin called RequestReinvoke. When ctx already carries a's state, an enclosing
// Reinvoke owns the passes and pass runs once, in the enclosing pass.
func Reinvoke(ctx context.Context, a *endpoints.Attributes, pass func(ctx context.Context, r *Reinvocation) error) error {
	if r, ok := ctx.Value(reinvocationKey{}).(*Reinvocation); ok && r.attrs == a {
		return pass(ctx, r)
	}
	r := &Reinvocation{attrs: a}
	ctx = context.WithValue(ctx, reinvocationKey{}, r)
	if err := pass(ctx, r); err != nil {
		return err
	}
	if !r.requested {
		return nil
	}
	r.reinvoking = true
	return pass(ctx, r)
}

// Tracker is the reinvocation bookkeeping of one plugin whose mutators (webhooks,
// policy invocations, named by K) choose a reinvocationPolicy. A mutator with
// IfNeeded that ran waits in pending; when the object changes after it ran, it
// moves to again, and the second pass runs only the mutators in again.
type Tracker[K comparable] struct {
	r *Reinvocation
	// last is the object as the plugin left it, to notice changes made by the
	// plugins that ran between its passes.
	last    runtime.Object
	pending map[K]struct{}
	again   map[K]struct{}
}

// TrackerFor returns plugin's tracker in r, made on first use.
func TrackerFor[K comparable](r *Reinvocation, plugin string) *Tracker[K] {
	if t, ok := r.trackers[plugin].(*Tracker[K]); ok {
		return t
	}
	t := &Tracker[K]{r: r}
	if r.trackers == nil {
		r.trackers = map[string]any{}
	}
	r.trackers[plugin] = t
	return t
}

// Begin is called when the plugin starts a pass over obj: in the second pass, a
// change made by other plugins since the plugin's first pass ended sends its
// pending mutators to reinvocation.
func (t *Tracker[K]) Begin(obj runtime.Object) {
	if t.r.reinvoking && !apiequality.Semantic.DeepEqual(t.last, obj) {
		t.requireAgain()
	}
}

// End records obj as the plugin's output of this pass.
func (t *Tracker[K]) End(obj runtime.Object) {
	if obj == nil {
		t.last = nil
		return
	}
	t.last = obj.DeepCopyObject()
}

// Skip reports whether the second pass leaves key out: a mutator runs again only
// when it asked to and the object changed after it ran.
func (t *Tracker[K]) Skip(key K) bool {
	if !t.r.reinvoking {
		return false
	}
	_, ok := t.again[key]
	return !ok
}

// Ran records that key's mutator ran; changed says whether it changed the object,
// ifNeeded whether it asks to be reinvoked.
func (t *Tracker[K]) Ran(key K, changed, ifNeeded bool) {
	if changed {
		t.Changed()
	}
	if ifNeeded {
		if t.pending == nil {
			t.pending = map[K]struct{}{}
		}
		t.pending[key] = struct{}{}
	}
}

// Changed notes a change of the object by the plugin: its pending mutators are
// reinvoked and the mutating phase runs again.
func (t *Tracker[K]) Changed() {
	t.requireAgain()
	t.r.RequestReinvoke()
}

func (t *Tracker[K]) requireAgain() {
	if len(t.pending) == 0 {
		return
	}
	if t.again == nil {
		t.again = map[K]struct{}{}
	}
	for k := range t.pending {
		t.again[k] = struct{}{}
	}
	clear(t.pending)
}
