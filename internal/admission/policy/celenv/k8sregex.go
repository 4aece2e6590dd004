package celenv

import (
	"regexp"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// regexLibrary is Kubernetes' regex library: <string>.find(re) returns the first
// match or "", <string>.findAll(re[, limit]) the matches.
func regexLibrary() cel.EnvOption { return cel.Lib(regexLib{}) }

type regexLib struct{}

func (regexLib) CompileOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.Function("find", cel.MemberOverload("string_find_string", []*cel.Type{cel.StringType, cel.StringType}, cel.StringType,
			cel.BinaryBinding(func(s, re ref.Val) ref.Val {
				str, pattern, err := regexArgs(s, re)
				if err != nil {
					return err
				}
				return types.String(pattern.FindString(str))
			}))),
		cel.Function("findAll",
			cel.MemberOverload("string_find_all_string", []*cel.Type{cel.StringType, cel.StringType}, cel.ListType(cel.StringType),
				cel.BinaryBinding(func(s, re ref.Val) ref.Val { return findAll(s, re, types.Int(-1)) })),
			cel.MemberOverload("string_find_all_string_int", []*cel.Type{cel.StringType, cel.StringType, cel.IntType}, cel.ListType(cel.StringType),
				cel.FunctionBinding(func(args ...ref.Val) ref.Val { return findAll(args[0], args[1], args[2]) }))),
	}
}

func (regexLib) ProgramOptions() []cel.ProgramOption { return nil }

func regexArgs(s, re ref.Val) (string, *regexp.Regexp, ref.Val) {
	str, ok := s.(types.String)
	pat, ok2 := re.(types.String)
	if !ok || !ok2 {
		return "", nil, types.MaybeNoSuchOverloadErr(s)
	}
	compiled, err := regexp.Compile(string(pat))
	if err != nil {
		return "", nil, types.WrapErr(err)
	}
	return string(str), compiled, nil
}

func findAll(s, re, limit ref.Val) ref.Val {
	str, pattern, errVal := regexArgs(s, re)
	if errVal != nil {
		return errVal
	}
	n, ok := limit.(types.Int)
	if !ok {
		return types.MaybeNoSuchOverloadErr(limit)
	}
	return types.NewStringList(types.DefaultTypeAdapter, pattern.FindAllString(str, int(n)))
}
