package celrules

import (
	"strings"

	"github.com/google/cel-go/cel"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// compiledRule is one x-kubernetes-validations entry ready to run. A rule that did
// not compile keeps its error (err) and reports it whenever it would run.
type compiledRule struct {
	rule            apiextensionsv1.ValidationRule
	program         cel.Program // nil for an empty rule or a compile error
	message         cel.Program // the compiled messageExpression, if any
	usesOldSelf     bool
	optionalOldSelf bool
	fieldPath       string // normalized fieldPath, appended to error paths
	maxCost         uint64
	messageMaxCost  uint64
	err             string // compile error of the rule
	internal        bool   // err is an internal error
	messageErr      string // compile error of the messageExpression
}

// compileRule compiles one rule in the environment of its schema node n.
func compileRule(envs *ruleEnvs, n *node, rule apiextensionsv1.ValidationRule) *compiledRule {
	cr := &compiledRule{rule: rule, optionalOldSelf: rule.OptionalOldSelf != nil && *rule.OptionalOldSelf}
	if strings.TrimSpace(rule.Rule) == "" {
		return cr
	}
	env, err := envs.env(cr.optionalOldSelf)
	if err != nil {
		cr.err, cr.internal = "unexpected compilation error: "+err.Error(), true
		return cr
	}
	ast, iss := env.Compile(rule.Rule)
	if iss.Err() != nil {
		cr.err = "compilation failed: " + iss.String()
		return cr
	}
	if !ast.OutputType().IsExactType(cel.BoolType) {
		cr.err = "cel expression must evaluate to a bool"
		return cr
	}
	for _, ref := range ast.NativeRep().ReferenceMap() {
		if ref.Name == varOldSelf {
			cr.usesOldSelf = true
			break
		}
	}
	prg, err := env.Program(ast, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(checkFrequency))
	if err != nil {
		cr.err = "program instantiation failed: " + err.Error()
		return cr
	}
	est, err := env.EstimateCost(ast, sizeEstimator{root: envs.dt})
	if err != nil {
		cr.err, cr.internal = "cost estimation failed: "+err.Error(), true
		return cr
	}
	cr.program, cr.maxCost = prg, est.Max
	if rule.MessageExpression != "" {
		cr.compileMessage(env, envs.dt)
	}
	if rule.FieldPath != "" {
		if p, _, err := validFieldPath(rule.FieldPath, n); err == nil {
			cr.fieldPath = p.String()
		}
	}
	return cr
}

func (cr *compiledRule) compileMessage(env *cel.Env, dt *declType) {
	ast, iss := env.Compile(cr.rule.MessageExpression)
	if iss.Err() != nil {
		cr.messageErr = "messageExpression compilation failed: " + iss.String()
		return
	}
	if !ast.OutputType().IsExactType(cel.StringType) {
		cr.messageErr = "messageExpression must evaluate to a string"
		return
	}
	prg, err := env.Program(ast, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(checkFrequency))
	if err != nil {
		cr.messageErr = "messageExpression instantiation failed: " + err.Error()
		return
	}
	est, err := env.EstimateCost(ast, sizeEstimator{root: dt})
	if err != nil {
		cr.messageErr = "cost estimation failed for messageExpression: " + err.Error()
		return
	}
	cr.message, cr.messageMaxCost = prg, est.Max
}

// errorString is how runtime errors name the rule: its message, else its text.
func (cr *compiledRule) errorString() string {
	if m := strings.TrimSpace(cr.rule.Message); m != "" {
		return m
	}
	return strings.TrimSpace(cr.rule.Rule)
}

// defaultMessage is the error detail of a failed rule without messageExpression.
func (cr *compiledRule) defaultMessage() string {
	if cr.rule.Message == "" {
		return "failed rule: " + cr.errorString()
	}
	return strings.TrimSpace(cr.rule.Message)
}
