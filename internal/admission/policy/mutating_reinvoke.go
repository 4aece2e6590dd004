package policy

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission"
)

// mutatingName is the plugin's upstream name; it keys the plugin's reinvocation
// state in the admission chain's.
const mutatingName = "MutatingAdmissionPolicy"

// invocationKey names one invocation: a policy through one binding with one param.
// Reinvocation is decided per invocation, as upstream does.
type invocationKey struct {
	policy, binding           string
	paramNamespace, paramName string
}

// policyPass is one pass of the plugin over a request within the admission chain's
// reinvocation state. Besides the tracker's per-invocation bookkeeping it keeps
// upstream's rule that a pass which applied a mutation to the kind its last
// invocation worked in sends every pending invocation to reinvocation and asks
// for a second pass, even when the mutation left the object as it was.
type policyPass struct {
	tracker *admission.Tracker[invocationKey]
	// begun is set once an invocation matched: the tracker sees the pass from
	// there, as upstream's dispatcher only runs when one did.
	begun bool
	// lastKind is the kind the last invocation that reached its mutations
	// worked in; applied the kinds a mutation was applied in.
	lastKind *schema.GroupVersionKind
	applied  map[schema.GroupVersionKind]bool
}

// begin starts the tracker's view of the pass at the first matching invocation.
func (p *policyPass) begin(obj runtime.Object) {
	if !p.begun {
		p.begun = true
		p.tracker.Begin(obj)
	}
}

// mutating notes that an invocation in kind reaches its mutations.
func (p *policyPass) mutating(kind schema.GroupVersionKind) { p.lastKind = &kind }

// mutated notes a mutation applied in kind.
func (p *policyPass) mutated(kind schema.GroupVersionKind) {
	if p.applied == nil {
		p.applied = map[schema.GroupVersionKind]bool{}
	}
	p.applied[kind] = true
}

// end closes the pass over obj.
func (p *policyPass) end(obj runtime.Object) {
	if !p.begun {
		return
	}
	if p.lastKind != nil && p.applied[*p.lastKind] {
		p.tracker.Changed()
	}
	p.tracker.End(obj)
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
