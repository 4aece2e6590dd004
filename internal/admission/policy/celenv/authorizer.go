package celenv

import (
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// AuthzCheck is one question to the server's authorizer.
type AuthzCheck struct {
	Verb, Group, Resource, Subresource, Namespace, Name, Path string
}

// AuthorizeFunc asks the server's authorizer about the request's user. decision is
// "allow", "deny" or "" (no opinion).
type AuthorizeFunc func(c AuthzCheck) (decision, reason string, err error)

var (
	authorizerType   = cel.OpaqueType("kubernetes.authorization.Authorizer")
	pathCheckType    = cel.OpaqueType("kubernetes.authorization.PathCheck")
	groupCheckType   = cel.OpaqueType("kubernetes.authorization.GroupCheck")
	resourceCheckTyp = cel.OpaqueType("kubernetes.authorization.ResourceCheck")
	decisionType     = cel.OpaqueType("kubernetes.authorization.Decision")
)

type authorizerVal struct{ check AuthorizeFunc }

// checkVal is a partly built check: path, group or resource stage.
type checkVal struct {
	check AuthorizeFunc
	c     AuthzCheck
	typ   *cel.Type
}

type decisionVal struct {
	decision, reason string
	err              error
}

func (v authorizerVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("authorizer cannot be converted")
}
func (v authorizerVal) ConvertToType(ref.Type) ref.Val { return types.NewErr("no conversion") }
func (v authorizerVal) Equal(ref.Val) ref.Val          { return types.False }
func (v authorizerVal) Type() ref.Type                 { return authorizerType }
func (v authorizerVal) Value() any                     { return v }

func (v checkVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("authorization check cannot be converted")
}
func (v checkVal) ConvertToType(ref.Type) ref.Val { return types.NewErr("no conversion") }
func (v checkVal) Equal(ref.Val) ref.Val          { return types.False }
func (v checkVal) Type() ref.Type                 { return v.typ }
func (v checkVal) Value() any                     { return v.c }

func (v decisionVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("decision cannot be converted")
}
func (v decisionVal) ConvertToType(ref.Type) ref.Val { return types.NewErr("no conversion") }
func (v decisionVal) Equal(ref.Val) ref.Val          { return types.False }
func (v decisionVal) Type() ref.Type                 { return decisionType }
func (v decisionVal) Value() any                     { return v }

// authorizerLibrary declares authorizer.path/group/serviceAccount and the check
// builders of upstream's authz CEL library.
func authorizerLibrary() cel.EnvOption {
	str := func(v ref.Val) string { s, _ := v.(types.String); return string(s) }
	return cel.Lib(authzLib{str: str})
}

type authzLib struct{ str func(ref.Val) string }

func (authzLib) ProgramOptions() []cel.ProgramOption { return nil }

func (l authzLib) CompileOptions() []cel.EnvOption {
	str := l.str
	setter := func(name string, from, to *cel.Type, set func(c *AuthzCheck, s string)) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload(from.String()+"_"+name, []*cel.Type{from, cel.StringType}, to,
			cel.BinaryBinding(func(lhs, rhs ref.Val) ref.Val {
				cv, ok := lhs.(checkVal)
				if !ok {
					return types.NewErr("no such overload")
				}
				set(&cv.c, str(rhs))
				cv.typ = to
				return cv
			})))
	}
	start := func(name string, to *cel.Type, set func(c *AuthzCheck, s string)) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("authorizer_"+name, []*cel.Type{authorizerType, cel.StringType}, to,
			cel.BinaryBinding(func(lhs, rhs ref.Val) ref.Val {
				a, ok := lhs.(authorizerVal)
				if !ok {
					return types.NewErr("no such overload")
				}
				cv := checkVal{check: a.check, typ: to}
				set(&cv.c, str(rhs))
				return cv
			})))
	}
	checkFn := func(from *cel.Type) cel.EnvOption {
		return cel.Function("check", cel.MemberOverload(from.String()+"_check", []*cel.Type{from, cel.StringType}, decisionType,
			cel.BinaryBinding(func(lhs, rhs ref.Val) ref.Val {
				cv, ok := lhs.(checkVal)
				if !ok {
					return types.NewErr("no such overload")
				}
				c := cv.c
				c.Verb = str(rhs)
				if cv.check == nil {
					return decisionVal{decision: "deny", reason: "no authorizer"}
				}
				d, reason, err := cv.check(c)
				return decisionVal{decision: d, reason: reason, err: err}
			})))
	}
	decisionFn := func(name string, out *cel.Type, f func(d decisionVal) ref.Val) cel.EnvOption {
		return cel.Function(name, cel.MemberOverload("decision_"+name, []*cel.Type{decisionType}, out,
			cel.UnaryBinding(func(v ref.Val) ref.Val {
				d, ok := v.(decisionVal)
				if !ok {
					return types.NewErr("no such overload")
				}
				return f(d)
			})))
	}
	return []cel.EnvOption{
		start("path", pathCheckType, func(c *AuthzCheck, s string) { c.Path = s }),
		start("group", groupCheckType, func(c *AuthzCheck, s string) { c.Group = s }),
		cel.Function("serviceAccount", cel.MemberOverload("authorizer_serviceAccount",
			[]*cel.Type{authorizerType, cel.StringType, cel.StringType}, authorizerType,
			cel.FunctionBinding(func(args ...ref.Val) ref.Val {
				// Checks as another user need the authorizer's impersonation support,
				// which kapi's does not offer: the checks answer deny.
				return authorizerVal{}
			}))),
		setter("resource", groupCheckType, resourceCheckTyp, func(c *AuthzCheck, s string) { c.Resource = s }),
		setter("subresource", resourceCheckTyp, resourceCheckTyp, func(c *AuthzCheck, s string) { c.Subresource = s }),
		setter("namespace", resourceCheckTyp, resourceCheckTyp, func(c *AuthzCheck, s string) { c.Namespace = s }),
		setter("name", resourceCheckTyp, resourceCheckTyp, func(c *AuthzCheck, s string) { c.Name = s }),
		checkFn(pathCheckType),
		checkFn(resourceCheckTyp),
		decisionFn("allowed", cel.BoolType, func(d decisionVal) ref.Val { return types.Bool(d.decision == "allow") }),
		decisionFn("denied", cel.BoolType, func(d decisionVal) ref.Val { return types.Bool(d.decision != "allow") }),
		decisionFn("reason", cel.StringType, func(d decisionVal) ref.Val { return types.String(d.reason) }),
		decisionFn("errored", cel.BoolType, func(d decisionVal) ref.Val { return types.Bool(d.err != nil) }),
		decisionFn("error", cel.StringType, func(d decisionVal) ref.Val {
			if d.err == nil {
				return types.String("")
			}
			return types.String(d.err.Error())
		}),
	}
}
