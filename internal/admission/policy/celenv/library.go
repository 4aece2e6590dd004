package celenv

import (
	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/ext"
)

// LibraryOptions returns the CEL options and function libraries of Kubernetes
// expressions without any variables, for environments that declare their own
// (CRD x-kubernetes-validations rules declare self and oldSelf). Each call returns
// a fresh slice the caller may append to.
func LibraryOptions() []cel.EnvOption {
	return []cel.EnvOption{
		cel.OptionalTypes(),
		cel.HomogeneousAggregateLiterals(),
		cel.DefaultUTCTimeZone(true),
		cel.CrossTypeNumericComparisons(true),
		ext.Strings(ext.StringsVersion(2)),
		ext.Lists(),
		ext.Sets(),
		ext.Math(),
		ext.Encoders(),
		ext.Regex(),
		ext.TwoVarComprehensions(),
		ext.Network(),
		ext.Bindings(),
		kubernetesLibrary(),
		formatLibrary(),
		semverLibrary(),
		regexLibrary(),
	}
}
