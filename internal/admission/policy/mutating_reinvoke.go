package policy

import (
	"k8s.io/apimachinery/pkg/runtime"
)

// invocationKey names one invocation: a policy through one binding with one param.
// Reinvocation is decided per invocation, as upstream does.
type invocationKey struct {
	policy, binding           string
	paramNamespace, paramName string
}

// reinvocation keeps reinvocationPolicy IfNeeded's bookkeeping over one request:
// invocations of IfNeeded policies wait in pending until a later mutation changes
// the object, then move to again; the second round runs only those. As upstream,
// a round in which any mutation was applied also sends every pending invocation
// to the second round, and there is never a third.
type reinvocation struct {
	// reinvoking is set for the second round.
	reinvoking bool
	pending    map[invocationKey]bool
	again      map[invocationKey]bool
	// applied records that a mutation was applied in the current round.
	applied bool
}

// skip reports whether the second round leaves key out.
func (r *reinvocation) skip(key invocationKey) bool {
	return r.reinvoking && !r.again[key]
}

// ran records that key's mutations ran; changed says whether they changed the
// object, ifNeeded whether the policy asks to be reinvoked.
func (r *reinvocation) ran(key invocationKey, changed, ifNeeded bool) {
	if changed {
		r.requireAgain()
	}
	if ifNeeded {
		if r.pending == nil {
			r.pending = map[invocationKey]bool{}
		}
		r.pending[key] = true
	}
}

// endRound closes a round; it reports whether a second round is due.
func (r *reinvocation) endRound() bool {
	if r.applied {
		r.requireAgain()
	}
	r.applied = false
	return !r.reinvoking && len(r.again) > 0
}

// requireAgain sends the pending invocations to the second round.
func (r *reinvocation) requireAgain() {
	if len(r.pending) == 0 {
		return
	}
	if r.again == nil {
		r.again = map[invocationKey]bool{}
	}
	for k := range r.pending {
		r.again[k] = true
	}
	clear(r.pending)
}

// paramKey is the namespace and name of a param; empty for policies without one.
func paramKey(param runtime.Object) (string, string) {
	if param == nil {
		return "", ""
	}
	acc, ok := param.(interface {
		GetNamespace() string
		GetName() string
	})
	if !ok {
		return "", ""
	}
	return acc.GetNamespace(), acc.GetName()
}
