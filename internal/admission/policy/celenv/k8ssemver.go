package celenv

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
)

// semverLibrary is Kubernetes' semver library: semver(s[, normalize]),
// isSemver(s[, normalize]), major(), minor(), patch(), isGreaterThan, isLessThan and
// compareTo, on Semantic Versioning 2.0.0 versions.
func semverLibrary() cel.EnvOption { return cel.Lib(semverLib{}) }

type semverLib struct{}

var semverType = cel.OpaqueType("kubernetes.Semver")

// semVersion is a parsed semantic version; build metadata does not take part in
// comparisons.
type semVersion struct {
	major, minor, patch uint64
	pre                 []string
	build               string
}

func (v semVersion) ConvertToNative(t reflect.Type) (any, error) {
	if t.Kind() == reflect.String {
		return v.String(), nil
	}
	return nil, fmt.Errorf("semver cannot be converted to %v", t)
}
func (v semVersion) ConvertToType(t ref.Type) ref.Val {
	if t == types.StringType {
		return types.String(v.String())
	}
	return types.NewErr("no conversion of semver to %s", t)
}
func (v semVersion) Equal(o ref.Val) ref.Val {
	other, ok := o.(semVersion)
	return types.Bool(ok && v.compare(other) == 0)
}
func (v semVersion) Type() ref.Type { return semverType }
func (v semVersion) Value() any     { return v }

func (v semVersion) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if len(v.pre) > 0 {
		s += "-" + strings.Join(v.pre, ".")
	}
	if v.build != "" {
		s += "+" + v.build
	}
	return s
}

// compare orders versions by Semantic Versioning's precedence rules.
func (v semVersion) compare(o semVersion) int {
	for _, d := range [][2]uint64{{v.major, o.major}, {v.minor, o.minor}, {v.patch, o.patch}} {
		if d[0] != d[1] {
			if d[0] < d[1] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(v.pre) == 0 && len(o.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(o.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(o.pre); i++ {
		if c := comparePrerelease(v.pre[i], o.pre[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(v.pre) < len(o.pre):
		return -1
	case len(v.pre) > len(o.pre):
		return 1
	}
	return 0
}

// comparePrerelease compares two pre-release identifiers: numeric ones numerically
// and below alphanumeric ones, which compare as ASCII.
func comparePrerelease(a, b string) int {
	an, aErr := strconv.ParseUint(a, 10, 64)
	bn, bErr := strconv.ParseUint(b, 10, 64)
	switch {
	case aErr == nil && bErr == nil:
		if an == bn {
			return 0
		}
		if an < bn {
			return -1
		}
		return 1
	case aErr == nil:
		return -1
	case bErr == nil:
		return 1
	}
	return strings.Compare(a, b)
}

// parseSemver parses a strict Semantic Versioning 2.0.0 version; normalize first
// drops a "v" prefix and leading zeros and fills a missing minor or patch with 0,
// as upstream's normalizing form.
func parseSemver(s string, normalize bool) (semVersion, error) {
	if normalize {
		var err error
		if s, err = normalizeSemver(s); err != nil {
			return semVersion{}, err
		}
	}
	var v semVersion
	rest := s
	if i := strings.IndexByte(rest, '+'); i >= 0 {
		v.build, rest = rest[i+1:], rest[:i]
		if !validIdentifiers(v.build, false) {
			return semVersion{}, fmt.Errorf("invalid build metadata in %q", s)
		}
	}
	if i := strings.IndexByte(rest, '-'); i >= 0 {
		pre := rest[i+1:]
		rest = rest[:i]
		if !validIdentifiers(pre, true) {
			return semVersion{}, fmt.Errorf("invalid pre-release in %q", s)
		}
		v.pre = strings.Split(pre, ".")
	}
	parts := strings.Split(rest, ".")
	if len(parts) != 3 {
		return semVersion{}, fmt.Errorf("no major, minor and patch version in %q", s)
	}
	nums := [3]*uint64{&v.major, &v.minor, &v.patch}
	for i, p := range parts {
		if p == "" || (len(p) > 1 && p[0] == '0') {
			return semVersion{}, fmt.Errorf("invalid version number %q in %q", p, s)
		}
		n, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return semVersion{}, fmt.Errorf("invalid version number %q in %q", p, s)
		}
		*nums[i] = n
	}
	return v, nil
}

// validIdentifiers checks dot-separated identifiers of [0-9A-Za-z-]; numeric
// pre-release identifiers may not have leading zeros.
func validIdentifiers(s string, pre bool) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		numeric := true
		for _, r := range id {
			switch {
			case r >= '0' && r <= '9':
			case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '-':
				numeric = false
			default:
				return false
			}
		}
		if pre && numeric && len(id) > 1 && id[0] == '0' {
			return false
		}
	}
	return true
}

func normalizeSemver(s string) (string, error) {
	s = strings.TrimPrefix(s, "v")
	parts := strings.SplitN(s, ".", 3)
	for i, p := range parts {
		if len(p) > 1 {
			p = strings.TrimLeft(p, "0")
			if p == "" || p[0] < '0' || p[0] > '9' {
				p = "0" + p
			}
			parts[i] = p
		}
	}
	if len(parts) < 3 {
		if strings.ContainsAny(parts[len(parts)-1], "+-") {
			return "", errors.New("short version cannot contain PreRelease/Build meta data")
		}
		for len(parts) < 3 {
			parts = append(parts, "0")
		}
	}
	return strings.Join(parts, "."), nil
}

func (semverLib) CompileOptions() []cel.EnvOption {
	parse := func(s, normalize ref.Val) ref.Val {
		str, ok := s.(types.String)
		norm, ok2 := normalize.(types.Bool)
		if !ok || !ok2 {
			return types.MaybeNoSuchOverloadErr(s)
		}
		v, err := parseSemver(string(str), bool(norm))
		if err != nil {
			return types.WrapErr(err)
		}
		return v
	}
	isSemver := func(s, normalize ref.Val) ref.Val {
		return types.Bool(!types.IsError(parse(s, normalize)))
	}
	part := func(get func(semVersion) uint64) func(ref.Val) ref.Val {
		return func(v ref.Val) ref.Val {
			sv, ok := v.(semVersion)
			if !ok {
				return types.MaybeNoSuchOverloadErr(v)
			}
			return types.Int(get(sv))
		}
	}
	cmp := func(result func(int) ref.Val) func(a, b ref.Val) ref.Val {
		return func(a, b ref.Val) ref.Val {
			x, ok := a.(semVersion)
			y, ok2 := b.(semVersion)
			if !ok || !ok2 {
				return types.MaybeNoSuchOverloadErr(a)
			}
			return result(x.compare(y))
		}
	}
	pair := []*cel.Type{semverType, semverType}
	return []cel.EnvOption{
		cel.Function("semver",
			cel.Overload("string_to_semver", []*cel.Type{cel.StringType}, semverType,
				cel.UnaryBinding(func(s ref.Val) ref.Val { return parse(s, types.False) })),
			cel.Overload("string_bool_to_semver", []*cel.Type{cel.StringType, cel.BoolType}, semverType, cel.BinaryBinding(parse))),
		cel.Function("isSemver",
			cel.Overload("is_semver_string", []*cel.Type{cel.StringType}, cel.BoolType,
				cel.UnaryBinding(func(s ref.Val) ref.Val { return isSemver(s, types.False) })),
			cel.Overload("is_semver_string_bool", []*cel.Type{cel.StringType, cel.BoolType}, cel.BoolType, cel.BinaryBinding(isSemver))),
		cel.Function("major", cel.MemberOverload("semver_major", []*cel.Type{semverType}, cel.IntType,
			cel.UnaryBinding(part(func(v semVersion) uint64 { return v.major })))),
		cel.Function("minor", cel.MemberOverload("semver_minor", []*cel.Type{semverType}, cel.IntType,
			cel.UnaryBinding(part(func(v semVersion) uint64 { return v.minor })))),
		cel.Function("patch", cel.MemberOverload("semver_patch", []*cel.Type{semverType}, cel.IntType,
			cel.UnaryBinding(part(func(v semVersion) uint64 { return v.patch })))),
		cel.Function("isGreaterThan", cel.MemberOverload("semver_is_greater_than", pair, cel.BoolType,
			cel.BinaryBinding(cmp(func(c int) ref.Val { return types.Bool(c > 0) })))),
		cel.Function("isLessThan", cel.MemberOverload("semver_is_less_than", pair, cel.BoolType,
			cel.BinaryBinding(cmp(func(c int) ref.Val { return types.Bool(c < 0) })))),
		cel.Function("compareTo", cel.MemberOverload("semver_compare_to", pair, cel.IntType,
			cel.BinaryBinding(cmp(func(c int) ref.Val { return types.Int(c) })))),
	}
}

func (semverLib) ProgramOptions() []cel.ProgramOption { return nil }
