package apiextensions

import (
	"fmt"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
)

// acceptNames computes crd's accepted names against the names the other CRDs of its
// group have been granted, and the NamesAccepted condition, as upstream's naming
// controller: a name already accepted stays, a new one is taken only when free.
func acceptNames(crd *apiextensionsv1.CustomResourceDefinition, others []*apiextensionsv1.CustomResourceDefinition) (apiextensionsv1.CustomResourceDefinitionNames, apiextensionsv1.CustomResourceDefinitionCondition) {
	resources, kinds := map[string]bool{}, map[string]bool{}
	for _, o := range others {
		if o.Name == crd.Name || o.Spec.Group != crd.Spec.Group {
			continue
		}
		n := o.Status.AcceptedNames
		resources[n.Plural], resources[n.Singular] = true, true
		for _, s := range n.ShortNames {
			resources[s] = true
		}
		kinds[n.Kind], kinds[n.ListKind] = true, true
	}
	delete(resources, "")
	delete(kinds, "")

	want, have := crd.Spec.Names, crd.Status.AcceptedNames
	out := have
	cond := apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.NamesAccepted, Status: apiextensionsv1.ConditionTrue,
		Reason: "NoConflicts", Message: "no conflicts found"}
	conflict := func(reason string, err error) {
		cond.Status, cond.Reason, cond.Message = apiextensionsv1.ConditionFalse, reason, err.Error()
	}
	if err := freeOrOwn(want.Plural, have.Plural, resources); err != nil {
		conflict("PluralConflict", err)
	} else {
		out.Plural = want.Plural
	}
	if err := freeOrOwn(want.Singular, have.Singular, resources); err != nil {
		conflict("SingularConflict", err)
	} else {
		out.Singular = want.Singular
	}
	if !slices.Equal(want.ShortNames, have.ShortNames) {
		var errs []error
		for _, s := range want.ShortNames {
			if slices.Contains(have.ShortNames, s) {
				continue
			}
			if err := freeOrOwn(s, "", resources); err != nil {
				errs = append(errs, err)
			}
		}
		if len(errs) > 0 {
			conflict("ShortNamesConflict", utilerrors.NewAggregate(errs))
		} else {
			out.ShortNames = want.ShortNames
		}
	}
	if err := freeOrOwn(want.Kind, have.Kind, kinds); err != nil {
		conflict("KindConflict", err)
	} else {
		out.Kind = want.Kind
	}
	if err := freeOrOwn(want.ListKind, have.ListKind, kinds); err != nil {
		conflict("ListKindConflict", err)
	} else {
		out.ListKind = want.ListKind
	}
	out.Categories = want.Categories
	return out, cond
}

// freeOrOwn accepts a name that is already ours or that nobody else holds.
func freeOrOwn(want, have string, used map[string]bool) error {
	if want == have || !used[want] {
		return nil
	}
	return fmt.Errorf("%q is already in use", want)
}
