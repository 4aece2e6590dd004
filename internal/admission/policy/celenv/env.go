package celenv

import (
	"errors"
	"fmt"
	"sync"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// PerCallLimit is the runtime cost budget of one expression evaluation, upstream's
// PerCallLimit for admission expressions.
const PerCallLimit = 1000000

// Variable names every admission expression may use.
const (
	VarObject          = "object"
	VarOldObject       = "oldObject"
	VarRequest         = "request"
	VarParams          = "params"
	VarNamespaceObject = "namespaceObject"
	VarVariables       = "variables"
	VarAuthorizer      = "authorizer"
)

var (
	baseOnce sync.Once
	base     *cel.Env
	baseErr  error
)

// Env returns the shared CEL environment; environments are immutable and safe for
// concurrent use.
func Env() (*cel.Env, error) {
	baseOnce.Do(func() {
		base, baseErr = cel.NewEnv(append(LibraryOptions(),
			cel.Variable(VarObject, cel.DynType),
			cel.Variable(VarOldObject, cel.DynType),
			cel.Variable(VarRequest, cel.DynType),
			cel.Variable(VarParams, cel.DynType),
			cel.Variable(VarNamespaceObject, cel.DynType),
			cel.Variable(VarVariables, cel.MapType(cel.StringType, cel.DynType)),
			cel.Variable(VarAuthorizer, authorizerType),
			authorizerLibrary(),
		)...)
	})
	return base, baseErr
}

// Program is one compiled expression.
type Program struct {
	Expression string
	prg        cel.Program
	// kind is the expected result type: bool or string.
	want *cel.Type
}

// ErrCompile marks an expression that does not compile.
var ErrCompile = errors.New("compilation failed")

// Compile checks expr and plans it with the cost limit. want is cel.BoolType,
// cel.StringType or nil (any result).
func Compile(expr string, want *cel.Type) (*Program, error) {
	env, err := Env()
	if err != nil {
		return nil, err
	}
	checked, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, iss.Err())
	}
	if want != nil {
		out := checked.OutputType()
		if out != cel.DynType && !out.IsExactType(want) {
			return nil, fmt.Errorf("%w: must evaluate to %s but got %s", ErrCompile, want, out)
		}
	}
	prg, err := env.Program(checked, cel.CostLimit(PerCallLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCompile, err)
	}
	return &Program{Expression: expr, prg: prg, want: want}, nil
}

// Eval runs the program over vars.
func (p *Program) Eval(vars *Activation) (ref.Val, error) {
	out, _, err := p.prg.Eval(vars)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// EvalBool runs a program that must answer a bool.
func (p *Program) EvalBool(vars *Activation) (bool, error) {
	out, err := p.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("expression %q must evaluate to bool, got %s", p.Expression, out.Type())
	}
	return bool(b), nil
}

// EvalString runs a program that must answer a string.
func (p *Program) EvalString(vars *Activation) (string, error) {
	out, err := p.Eval(vars)
	if err != nil {
		return "", err
	}
	s, ok := out.(types.String)
	if !ok {
		return "", fmt.Errorf("expression %q must evaluate to string, got %s", p.Expression, out.Type())
	}
	return string(s), nil
}
