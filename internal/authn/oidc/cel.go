package oidc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/operators"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
)

// The CEL variables of the two kinds of expressions.
const (
	claimsVar = "claims"
	userVar   = "user"
)

// celCostLimit bounds one evaluation, as Kubernetes' per-call limit.
const celCostLimit = 1_000_000

// celEnvs are the two environments, built once: claims is a map of JSON values,
// user a map with username, uid, groups and extra.
var celEnvs = sync.OnceValues(func() (map[string]*cel.Env, error) {
	base := []cel.EnvOption{
		cel.CrossTypeNumericComparisons(true),
		cel.DefaultUTCTimeZone(true),
		cel.OptionalTypes(),
		ext.Strings(),
		ext.Lists(),
		ext.Sets(),
		ext.Encoders(),
		ext.Regex(),
	}
	claims, err := cel.NewEnv(append(base, cel.Variable(claimsVar, cel.MapType(cel.StringType, cel.DynType)))...)
	if err != nil {
		return nil, err
	}
	user, err := cel.NewEnv(append(base, cel.Variable(userVar, cel.MapType(cel.StringType, cel.DynType)))...)
	if err != nil {
		return nil, err
	}
	return map[string]*cel.Env{claimsVar: claims, userVar: user}, nil
})

// expression is a compiled CEL expression.
type expression struct {
	source  string
	message string
	// key is the extra key an extra mapping sets.
	key     string
	ast     *cel.Ast
	program cel.Program
}

// compileExpression compiles source for the variable, requiring a bool result
// when wantBool.
func compileExpression(variable, source string, wantBool bool) (*expression, error) {
	envs, err := celEnvs()
	if err != nil {
		return nil, fmt.Errorf("unexpected error loading CEL environment: %w", err)
	}
	env := envs[variable]
	checked, issues := env.Compile(source)
	if issues != nil && issues.Err() != nil {
		return nil, fmt.Errorf("compilation failed: %s", issues.String())
	}
	if wantBool && checked.OutputType() != cel.BoolType {
		return nil, errors.New("must evaluate to bool")
	}
	prog, err := env.Program(checked, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("program instantiation failed: %w", err)
	}
	return &expression{source: source, ast: checked, program: prog}, nil
}

// eval runs the expression with the variable bound to value.
func (e *expression) eval(ctx context.Context, variable string, value any) (ref.Val, error) {
	out, _, err := e.program.ContextEval(ctx, map[string]any{variable: value})
	if err != nil {
		return nil, fmt.Errorf("expression '%s' resulted in error: %w", e.source, err)
	}
	return out, nil
}

// selects reports whether the expression reads field of the variable (as
// claims.field or claims.?field).
func (e *expression) selects(variable, field string) bool {
	if e == nil {
		return false
	}
	isVar := func(x ast.Expr) bool { return x.Kind() == ast.IdentKind && x.AsIdent() == variable }
	found := ast.MatchDescendants(ast.NavigateAST(e.ast.NativeRep()), func(x ast.NavigableExpr) bool {
		switch x.Kind() {
		case ast.SelectKind:
			s := x.AsSelect()
			return s.FieldName() == field && isVar(s.Operand())
		case ast.CallKind:
			c := x.AsCall()
			if c.FunctionName() != operators.OptSelect || len(c.Args()) != 2 || !isVar(c.Args()[0]) {
				return false
			}
			arg := c.Args()[1]
			return arg.Kind() == ast.LiteralKind && arg.AsLiteral() == types.String(field)
		}
		return false
	})
	return len(found) > 0
}

// stringOf returns the string result of a mapping expression.
func stringOf(v ref.Val) (string, bool) {
	s, ok := v.(types.String)
	return string(s), ok
}

// stringListOf turns the result of a groups or extra expression into a list: a
// string or a list of strings; "", [] and null mean none and empty strings are
// dropped.
func stringListOf(v ref.Val) ([]string, error) {
	errNotStrings := errors.New("expression must return a string or a list of strings")
	switch v.Type() {
	case types.StringType:
		if s := string(v.(types.String)); s != "" {
			return []string{s}, nil
		}
		return nil, nil
	case types.NullType:
		return nil, nil
	case types.ListType:
		native, err := v.ConvertToNative(reflectStrings)
		if err != nil {
			return nil, errNotStrings
		}
		var out []string
		for _, s := range native.([]string) {
			if s != "" {
				out = append(out, s)
			}
		}
		return out, nil
	}
	return nil, errNotStrings
}

var reflectStrings = reflect.TypeOf([]string(nil))
