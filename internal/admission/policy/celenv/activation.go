package celenv

import (
	"github.com/google/cel-go/interpreter"
)

// Activation holds the values of one evaluation. Nil fields read as CEL null.
type Activation struct {
	Object, OldObject, Params, NamespaceObject map[string]any
	Request                                    map[string]any
	Variables                                  map[string]any
	// Authorizer answers authorizer.* checks for the request's user; nil denies.
	Authorizer AuthorizeFunc
}

var _ interpreter.Activation = (*Activation)(nil)

// ResolveName implements interpreter.Activation.
func (a *Activation) ResolveName(name string) (any, bool) {
	switch name {
	case VarObject:
		return nullable(a.Object), true
	case VarOldObject:
		return nullable(a.OldObject), true
	case VarParams:
		return nullable(a.Params), true
	case VarNamespaceObject:
		return nullable(a.NamespaceObject), true
	case VarRequest:
		return nullable(a.Request), true
	case VarVariables:
		if a.Variables == nil {
			return map[string]any{}, true
		}
		return a.Variables, true
	case VarAuthorizer:
		return authorizerVal{check: a.Authorizer}, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *Activation) Parent() interpreter.Activation { return nil }

// nullable maps a missing object to CEL null rather than an empty map.
func nullable(m map[string]any) any {
	if m == nil {
		return nil
	}
	return m
}
