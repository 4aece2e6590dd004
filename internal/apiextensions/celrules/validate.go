package celrules

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/interpreter"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/request"
)

const outOfBudget = "validation failed due to running out of cost budget, no further validation rules will be run"

// Validate runs the rules on a custom resource (obj; old is nil on create) within
// RuntimeCELCostBudget. Failures of rules that do not use oldSelf on values an
// update left unchanged are ratcheted: they become warnings on ctx (see
// request.AddWarning) instead of errors.
func (v *Validator) Validate(ctx context.Context, obj, old map[string]any) field.ErrorList {
	if v == nil || v.root == nil || obj == nil {
		return nil
	}
	var oldV any
	var corr correlation
	if old != nil {
		oldV = old
		corr.cur = &corrNode{newV: obj, oldV: old, n: v.root.n}
	}
	errs, _ := v.root.validate(ctx, nil, obj, oldV, corr, RuntimeCELCostBudget)
	return errs
}

// validate runs this node's rules on obj and then those of its children; the
// budget left is negative once it ran out and nothing more may run.
func (v *validatorNode) validate(ctx context.Context, p *field.Path, obj, old any, corr correlation, budget int64) (field.ErrorList, int64) {
	if v == nil || obj == nil {
		return nil, budget
	}
	errs, budget := v.validateRules(ctx, p, obj, old, corr, budget)
	if budget < 0 {
		return errs, budget
	}
	switch x := obj.(type) {
	case []any:
		if v.items == nil {
			return errs, budget
		}
		oldList, _ := old.([]any)
		olds := newOldByKey(v.n, oldList)
		for i, item := range x {
			var e field.ErrorList
			e, budget = v.items.validate(ctx, p.Index(i), item, olds.get(item), corr.index(i), budget)
			errs = append(errs, e...)
			if budget < 0 {
				return errs, budget
			}
		}
	case map[string]any:
		if v.additional == nil && v.props == nil {
			return errs, budget
		}
		oldMap, _ := old.(map[string]any)
		correlatable := v.n.mapCorrelatable()
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			child, cp := v.additional, p.Key(k)
			if v.additional == nil {
				child, cp = v.props[k], p.Child(k)
			}
			if child == nil {
				continue
			}
			var oldChild any
			if correlatable && oldMap != nil {
				if ov, ok := oldMap[k]; ok {
					oldChild = ov
				}
			}
			var e field.ErrorList
			e, budget = child.validate(ctx, cp, x[k], oldChild, corr.key(k), budget)
			errs = append(errs, e...)
			if budget < 0 {
				return errs, budget
			}
		}
	}
	return errs, budget
}

// activation resolves self and oldSelf; oldSelf is absent when hasOld is false.
type activation struct {
	self, oldSelf ref.Val
	hasOld        bool
}

func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case varSelf:
		return a.self, true
	case varOldSelf:
		return a.oldSelf, a.hasOld
	}
	return nil, false
}

func (a *activation) Parent() interpreter.Activation { return nil }

func (v *validatorNode) validateRules(ctx context.Context, p *field.Path, obj, old any, corr correlation, budget int64) (errs field.ErrorList, remaining int64) {
	n := v.n.resourceView(v.isResourceRoot)
	if v.initErr != nil {
		return field.ErrorList{field.Invalid(p, n.typ, fmt.Sprintf("rule compiler initialization error: %v", v.initErr))}, budget
	}
	if len(v.rules) == 0 {
		return nil, budget
	}
	if budget <= 0 {
		return field.ErrorList{field.Invalid(p, n.typ, outOfBudget)}, -1
	}
	self := toVal(obj, n)
	plain := &activation{self: self}
	optional := &activation{self: self, hasOld: true, oldSelf: types.OptionalNone}
	if v.usesOldSelf && old != nil {
		plain.oldSelf, plain.hasOld = toVal(old, n), true
		optional.oldSelf = types.OptionalOf(plain.oldSelf)
	}
	for _, cr := range v.rules {
		if cr.err != "" {
			errs = append(errs, field.Invalid(p, n.typ, "rule compile error: "+cr.err))
			continue
		}
		if cr.program == nil {
			continue
		}
		if cr.usesOldSelf && old == nil && !cr.optionalOldSelf {
			continue
		}
		act := plain
		if cr.optionalOldSelf {
			act = optional
		}
		out, details, err := cr.program.ContextEval(ctx, act)
		if details == nil || details.ActualCost() == nil {
			return append(errs, field.Invalid(p, n.typ, fmt.Sprintf("runtime cost could not be calculated for validation rule: %v, no further validation rules will be run", cr.errorString()))), -1
		}
		if cost := *details.ActualCost(); cost > math.MaxInt64 || int64(cost) > budget {
			return append(errs, field.Invalid(p, n.typ, outOfBudget)), -1
		} else {
			budget -= int64(cost)
		}
		if err != nil {
			msg := err.Error()
			switch {
			case strings.HasPrefix(msg, "no such overload"):
				errs = append(errs, field.Invalid(p, n.typ, fmt.Sprintf("'%v': call arguments did not match a supported operator, function or macro signature for rule: %v", msg, cr.errorString())))
			case strings.HasPrefix(msg, "operation cancelled: actual cost limit exceeded"):
				return append(errs, field.Invalid(p, n.typ, fmt.Sprintf("'%v': no further validation rules will be run due to call cost exceeds limit for rule: %v", msg, cr.errorString()))), -1
			default:
				errs = append(errs, field.Invalid(p, n.typ, fmt.Sprintf("%v evaluating rule: %v", msg, cr.errorString())))
			}
			continue
		}
		if out == types.True {
			continue
		}
		errPath := p
		if cr.fieldPath != "" {
			errPath = errPath.Child(cr.fieldPath)
		}
		ratchet := !cr.usesOldSelf && corr.shouldRatchet()
		add := func(e *field.Error) {
			if ratchet {
				request.AddWarning(ctx, e.Error())
				return
			}
			errs = append(errs, e)
		}
		detail := ""
		if cr.message != nil {
			msg, left, fatal := evalMessage(ctx, cr, act, budget)
			if fatal != "" {
				add(field.Invalid(errPath, n.typ, fatal))
				return errs, -1
			}
			budget, detail = left, msg
		}
		if detail == "" {
			detail = cr.defaultMessage()
		}
		var value any = obj
		if n.typ == "object" || n.typ == "array" {
			value = field.OmitValueType{}
		}
		add(reasonError(errPath, value, detail, cr.rule.Reason))
	}
	return errs, budget
}

// evalMessage evaluates a messageExpression: the message ("" to fall back to the
// rule's message), the budget left, and a fatal error that stops validation.
func evalMessage(ctx context.Context, cr *compiledRule, act *activation, budget int64) (string, int64, string) {
	out, details, err := cr.message.ContextEval(ctx, act)
	if details == nil || details.ActualCost() == nil {
		return "", -1, fmt.Sprintf("runtime cost could not be calculated for messageExpression: %q", cr.rule.MessageExpression)
	}
	cost := *details.ActualCost()
	if cost > math.MaxInt64 || int64(cost) > budget {
		return "", -1, "messageExpression evaluation failed due to running out of cost budget, no further validation rules will be run"
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "operation cancelled: actual cost limit exceeded") {
			return "", -1, fmt.Sprintf("no further validation rules will be run due to call cost exceeds limit for messageExpression: %q", cr.rule.MessageExpression)
		}
		return "", budget - int64(cost), ""
	}
	left := budget - int64(cost)
	s, ok := out.Value().(string)
	if !ok {
		return "", left, ""
	}
	s = strings.TrimSpace(s)
	if len(s) > maxMessageExpressionLength || strings.Contains(s, "\n") {
		return "", left, ""
	}
	return s, left, ""
}

// reasonError builds the error a failed rule reports for its reason.
func reasonError(p *field.Path, value any, detail string, reason *apiextensionsv1.FieldValueErrorReason) *field.Error {
	if reason == nil {
		return field.Invalid(p, value, detail)
	}
	switch *reason {
	case apiextensionsv1.FieldValueForbidden:
		return field.Forbidden(p, detail)
	case apiextensionsv1.FieldValueRequired:
		return field.Required(p, detail)
	case apiextensionsv1.FieldValueDuplicate:
		return field.Duplicate(p, value)
	}
	return field.Invalid(p, value, detail)
}

var _ cel.Activation = (*activation)(nil)
