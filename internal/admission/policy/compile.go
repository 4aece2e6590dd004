package policy

import (
	"fmt"

	"github.com/google/cel-go/cel"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
)

// compiled is a policy with its expressions compiled. Expressions that do not
// compile are nil and listed in warnings; evaluating the policy then fails under
// its failurePolicy.
type compiled struct {
	policy      *admissionregistrationv1.ValidatingAdmissionPolicy
	conditions  []namedProgram
	variables   []namedProgram
	validations []validation
	annotations []namedProgram
	// warnings are the typeChecking warnings, by field path.
	warnings []admissionregistrationv1.ExpressionWarning
}

// namedProgram is an expression and its program, or why it did not compile.
type namedProgram struct {
	name string
	prg  *celenv.Program
	err  error
}

type validation struct {
	spec    admissionregistrationv1.Validation
	prg     *celenv.Program
	err     error
	message *celenv.Program
}

// failurePolicy is the policy's failurePolicy, Fail when unset.
func (c *compiled) failurePolicy() admissionregistrationv1.FailurePolicyType {
	if c.policy.Spec.FailurePolicy == nil {
		return admissionregistrationv1.Fail
	}
	return *c.policy.Spec.FailurePolicy
}

func compilePolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) *compiled {
	c := &compiled{policy: p}
	comp := func(field, expr string, want *cel.Type) (*celenv.Program, error) {
		prg, err := celenv.Compile(expr, want)
		if err != nil {
			c.warnings = append(c.warnings, admissionregistrationv1.ExpressionWarning{FieldRef: field, Warning: err.Error()})
		}
		return prg, err
	}
	for i, m := range p.Spec.MatchConditions {
		prg, err := comp(fmt.Sprintf("spec.matchConditions[%d].expression", i), m.Expression, cel.BoolType)
		c.conditions = append(c.conditions, namedProgram{name: m.Name, prg: prg, err: err})
	}
	for i, v := range p.Spec.Variables {
		prg, err := comp(fmt.Sprintf("spec.variables[%d].expression", i), v.Expression, nil)
		c.variables = append(c.variables, namedProgram{name: v.Name, prg: prg, err: err})
	}
	for i, v := range p.Spec.Validations {
		prg, err := comp(fmt.Sprintf("spec.validations[%d].expression", i), v.Expression, cel.BoolType)
		val := validation{spec: v, prg: prg, err: err}
		if v.MessageExpression != "" {
			// A messageExpression that does not compile falls back to message.
			val.message, _ = comp(fmt.Sprintf("spec.validations[%d].messageExpression", i), v.MessageExpression, cel.StringType)
		}
		c.validations = append(c.validations, val)
	}
	for i, a := range p.Spec.AuditAnnotations {
		prg, err := comp(fmt.Sprintf("spec.auditAnnotations[%d].valueExpression", i), a.ValueExpression, nil)
		c.annotations = append(c.annotations, namedProgram{name: a.Key, prg: prg, err: err})
	}
	return c
}
