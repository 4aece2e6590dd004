// Package policy holds kapi's admission policy plugins. ValidatingAdmissionPolicy
// (New) follows the policies and their bindings through watches, compiles their CEL
// expressions once per change (writing compile problems to the policy's
// status.typeChecking), and evaluates the bound policies on every write their match
// constraints select, with the binding's params and validationActions.
// MutatingAdmissionPolicy (NewMutating) applies bound policies' JSONPatch and
// ApplyConfiguration mutations in the mutating phase. BuildExternal builds these
// and the webhook plugins for the server's admission chain.
package policy
