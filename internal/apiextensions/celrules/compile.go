package celrules

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"

	apiextensions "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validator runs the rules of one CRD version's schema. It is immutable after
// Compile and safe for concurrent use; a nil Validator has no rules.
type Validator struct {
	root *validatorNode
}

// validatorNode mirrors the schema where rules are, at this node or below.
type validatorNode struct {
	n              *node
	isResourceRoot bool
	rules          []*compiledRule
	initErr        error // the node could not be typed for CEL
	usesOldSelf    bool
	props          map[string]*validatorNode
	additional     *validatorNode
	items          *validatorNode
}

var supportedReasons = []string{
	string(apiextensionsv1.FieldValueDuplicate),
	string(apiextensionsv1.FieldValueForbidden),
	string(apiextensionsv1.FieldValueInvalid),
	string(apiextensionsv1.FieldValueRequired),
}

// ruleNewlines are the line breaks the CEL grammar accepts.
var ruleNewlines = regexp.MustCompile(`[\n\r]+`)

// Compile compiles every x-kubernetes-validations rule of a version's schema
// (props at fldPath, spec.versions[i].schema.openAPIV3Schema) and checks them as
// kube-apiserver does when a CRD is written. It returns the Validator, which also
// carries rules that failed to compile (they fail at runtime, as upstream's do for
// stored CRDs), and the errors for the CRD. A schema without rules costs a walk.
func Compile(props *apiextensionsv1.JSONSchemaProps, fldPath *field.Path) (*Validator, field.ErrorList) {
	if !schemaHasRules(props) {
		return nil, nil
	}
	one := uint64(1)
	c := &compiler{}
	root := c.visit(newNode(props), fldPath, visitContext{cardinality: &one, resourceRoot: true})
	errs := append(c.schemaErrs, c.celErrs...)
	if c.total.sum > StaticEstimatedCRDCostLimit {
		for _, e := range c.total.mostExpensive {
			errs = append(errs, field.Forbidden(e.path, "contributed to estimated rule cost total exceeding cost limit for entire OpenAPIv3 schema"))
		}
		errs = append(errs, field.Forbidden(fldPath, costErrorMessage("x-kubernetes-validations estimated rule cost total for entire OpenAPIv3 schema", c.total.sum, StaticEstimatedCRDCostLimit)))
	}
	return &Validator{root: root}, errs
}

// schemaHasRules reports whether any x-kubernetes-validations exist in s.
func schemaHasRules(s *apiextensionsv1.JSONSchemaProps) bool {
	if s == nil {
		return false
	}
	if len(s.XValidations) > 0 {
		return true
	}
	if s.Items != nil && schemaHasRules(s.Items.Schema) {
		return true
	}
	if s.AdditionalProperties != nil && schemaHasRules(s.AdditionalProperties.Schema) {
		return true
	}
	for k := range s.Properties {
		p := s.Properties[k]
		if schemaHasRules(&p) {
			return true
		}
	}
	return false
}

type compiler struct {
	schemaErrs, celErrs field.ErrorList
	total               totalCost
}

// visitContext is what a node inherits from its ancestors.
type visitContext struct {
	// cardinality is how often the node can occur in an object, nil if unbounded.
	cardinality *uint64
	// forbidOldSelf is the highest ancestor below which old and new values cannot
	// be correlated, nil if they can.
	forbidOldSelf *field.Path
	resourceRoot  bool
}

// childCardinality bounds how often a child of n occurs: n's own count times its
// maxItems/maxProperties (1 for a plain object), unbounded when either is.
func (vc visitContext) childCardinality(n *node) *uint64 {
	if vc.cardinality == nil {
		return nil
	}
	var elems uint64 = 1
	switch {
	case n.typ == "object" && n.additional != nil:
		if n.maxProperties == nil {
			return nil
		}
		elems = uint64(zeroIfNegative(*n.maxProperties))
	case n.typ == "array":
		if n.maxItems == nil {
			return nil
		}
		elems = uint64(zeroIfNegative(*n.maxItems))
	}
	v := mulSaturating(*vc.cardinality, elems)
	return &v
}

func (vc visitContext) forbidBelow(p *field.Path) *field.Path {
	if vc.forbidOldSelf != nil {
		return vc.forbidOldSelf
	}
	return p
}

// visit checks and compiles the rules of n and its descendants, children first
// as upstream does, and returns n's validator (nil without rules below).
func (c *compiler) visit(n *node, p *field.Path, vc visitContext) *validatorNode {
	if n == nil {
		return nil
	}
	schemaErrsBefore := len(c.schemaErrs)
	v := &validatorNode{n: n, isResourceRoot: vc.resourceRoot || n.embedded}
	card := vc.childCardinality(n)
	if n.additional != nil {
		v.additional = c.visit(n.additional, p.Child("additionalProperties"), visitContext{cardinality: card, forbidOldSelf: vc.forbidOldSelf})
	}
	for _, name := range n.propNames {
		child := visitContext{cardinality: card, forbidOldSelf: vc.forbidOldSelf}
		if !n.mapCorrelatable() {
			child.forbidOldSelf = vc.forbidBelow(p)
		}
		if pv := c.visit(n.props[name], p.Child("properties").Key(name), child); pv != nil {
			if v.props == nil {
				v.props = map[string]*validatorNode{}
			}
			v.props[name] = pv
		}
	}
	if n.items != nil {
		child := visitContext{cardinality: card, forbidOldSelf: vc.forbidOldSelf}
		if n.listType != "map" {
			child.forbidOldSelf = vc.forbidBelow(p)
		}
		v.items = c.visit(n.items, p.Child("items"), child)
	}
	if len(n.rules) > 0 {
		c.checkRuleFields(n, p)
		c.compileRules(v, p, vc, len(c.schemaErrs) == schemaErrsBefore)
	}
	if len(v.rules) == 0 && v.initErr == nil && v.props == nil && v.additional == nil && v.items == nil {
		return nil
	}
	return v
}

// checkRuleFields validates the fields of each rule that need no compiling.
func (c *compiler) checkRuleFields(n *node, p *field.Path) {
	for i, rule := range n.rules {
		rp := p.Child("x-kubernetes-validations").Index(i)
		trimmedRule := strings.TrimSpace(rule.Rule)
		trimmedMsg := strings.TrimSpace(rule.Message)
		switch {
		case trimmedRule == "":
			c.schemaErrs = append(c.schemaErrs, field.Required(rp.Child("rule"), "rule is not specified"))
		case rule.Message != "" && trimmedMsg == "":
			c.schemaErrs = append(c.schemaErrs, field.Invalid(rp.Child("message"), rule.Message, "must be non-empty if specified"))
		case ruleNewlines.MatchString(trimmedMsg):
			c.schemaErrs = append(c.schemaErrs, field.Invalid(rp.Child("message"), rule.Message, "must not contain line breaks"))
		case ruleNewlines.MatchString(trimmedRule) && trimmedMsg == "":
			c.schemaErrs = append(c.schemaErrs, field.Required(rp.Child("message"), "message must be specified if rule contains line breaks"))
		}
		if rule.MessageExpression != "" && strings.TrimSpace(rule.MessageExpression) == "" {
			c.schemaErrs = append(c.schemaErrs, field.Required(rp.Child("messageExpression"), "messageExpression must be non-empty if specified"))
		}
		if rule.Reason != nil && !isSupportedReason(*rule.Reason) {
			c.schemaErrs = append(c.schemaErrs, field.NotSupported(rp.Child("reason"), *rule.Reason, supportedReasons))
		}
		if rule.FieldPath != "" && strings.TrimSpace(rule.FieldPath) == "" {
			c.schemaErrs = append(c.schemaErrs, field.Invalid(rp.Child("fieldPath"), rule.FieldPath, "must be non-empty if specified"))
		}
		if ruleNewlines.MatchString(rule.FieldPath) {
			c.schemaErrs = append(c.schemaErrs, field.Invalid(rp.Child("fieldPath"), rule.FieldPath, "must not contain line breaks"))
		}
		if rule.FieldPath != "" {
			if _, _, err := validFieldPath(rule.FieldPath, n); err != nil {
				c.schemaErrs = append(c.schemaErrs, field.Invalid(rp.Child("fieldPath"), rule.FieldPath, "must be a valid path"))
			}
		}
	}
}

func isSupportedReason(r apiextensionsv1.FieldValueErrorReason) bool {
	for _, s := range supportedReasons {
		if string(r) == s {
			return true
		}
	}
	return false
}

// compileRules compiles n's rules into v; report says whether their errors are
// reported (upstream reports none while the schema below has other errors).
func (c *compiler) compileRules(v *validatorNode, p *field.Path, vc visitContext, report bool) {
	n, xp := v.n, p.Child("x-kubernetes-validations")
	dt := buildDeclType(n, v.isResourceRoot)
	if dt == nil {
		v.initErr = errors.New("failed to convert to declType for CEL validation rules")
		if report {
			c.celErrs = append(c.celErrs, field.InternalError(xp, fmt.Errorf("internal error: failed to construct type information for x-kubernetes-validations rules: %s", "unable to convert structural schema to CEL declarations")))
		}
		return
	}
	envs, err := newRuleEnvs(dt)
	if err != nil {
		v.initErr = err
		if report {
			c.celErrs = append(c.celErrs, field.InternalError(xp, err))
		}
		return
	}
	cardinality := maxCardinality(dt.minSize)
	if vc.cardinality != nil {
		cardinality = *vc.cardinality
	}
	for i, rule := range n.rules {
		cr := compileRule(envs, n, rule)
		v.rules = append(v.rules, cr)
		v.usesOldSelf = v.usesOldSelf || cr.usesOldSelf
		if report {
			c.reportRule(cr, xp.Index(i), cardinality, vc.forbidOldSelf)
		}
	}
}

// reportRule adds the CRD errors of one compiled rule, in upstream's order.
func (c *compiler) reportRule(cr *compiledRule, rp *field.Path, cardinality uint64, forbidOldSelf *field.Path) {
	cost := mulSaturating(cr.maxCost, cardinality)
	if cost > StaticEstimatedCostLimit {
		c.celErrs = append(c.celErrs, field.Forbidden(rp.Child("rule"), costErrorMessage("estimated rule cost", cost, StaticEstimatedCostLimit)))
	}
	c.total.observe(rp.Child("rule"), cost)
	if cr.err != "" {
		c.celErrs = append(c.celErrs, field.Invalid(rp.Child("rule"), internalRule(cr.rule), cr.err))
	}
	switch {
	case cr.messageErr != "":
		c.celErrs = append(c.celErrs, field.Invalid(rp.Child("messageExpression"), internalRule(cr.rule), cr.messageErr))
	case cr.message != nil:
		if cr.messageMaxCost > StaticEstimatedCostLimit {
			c.celErrs = append(c.celErrs, field.Forbidden(rp.Child("messageExpression"), costErrorMessage("estimated messageExpression cost", cr.messageMaxCost, StaticEstimatedCostLimit)))
		}
		c.total.observe(rp.Child("messageExpression"), cr.messageMaxCost)
	}
	switch {
	case cr.usesOldSelf && forbidOldSelf != nil:
		c.celErrs = append(c.celErrs, field.Invalid(rp.Child("rule"), cr.rule.Rule, fmt.Sprintf("oldSelf cannot be used on the uncorrelatable portion of the schema within %v", forbidOldSelf)))
	case !cr.usesOldSelf && cr.rule.OptionalOldSelf != nil:
		c.celErrs = append(c.celErrs, field.Invalid(rp.Child("optionalOldSelf"), *cr.rule.OptionalOldSelf, "may not be set if oldSelf is not used in rule"))
	}
}

// internalRule is the rule as upstream's errors print it: the internal API type.
func internalRule(r apiextensionsv1.ValidationRule) apiextensions.ValidationRule {
	out := apiextensions.ValidationRule{
		Rule:              r.Rule,
		Message:           r.Message,
		MessageExpression: r.MessageExpression,
		FieldPath:         r.FieldPath,
		OptionalOldSelf:   r.OptionalOldSelf,
	}
	if r.Reason != nil {
		reason := apiextensions.FieldValueErrorReason(*r.Reason)
		out.Reason = &reason
	}
	return out
}

// totalCost sums the estimated cost of a schema's rules and keeps the four most
// expensive that each take at least 1% of the CRD limit.
type totalCost struct {
	sum           uint64
	mostExpensive []ruleCost
}

type ruleCost struct {
	path *field.Path
	cost uint64
}

func (t *totalCost) observe(p *field.Path, cost uint64) {
	if ^uint64(0)-t.sum < cost {
		t.sum = ^uint64(0)
	} else {
		t.sum += cost
	}
	if cost < StaticEstimatedCRDCostLimit/100 {
		return
	}
	t.mostExpensive = append(t.mostExpensive, ruleCost{path: p, cost: cost})
	sort.SliceStable(t.mostExpensive, func(i, j int) bool { return t.mostExpensive[i].cost > t.mostExpensive[j].cost })
	if len(t.mostExpensive) > 4 {
		t.mostExpensive = t.mostExpensive[:4]
	}
}
