package builtin

import (
	policyv1 "k8s.io/api/policy/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// pdbV1beta1Label marked, in policy/v1beta1, the selectors whose empty meaning
// differs from v1's; v1 objects may not carry it.
const pdbV1beta1Label = "pdb.kubernetes.io/deprecated-v1beta1-empty-selector-match"

// policy serves policy/v1 PodDisruptionBudgets. Updates need a resourceVersion, as
// upstream refuses unconditional updates of budgets.
func policy() []*registry.Resource {
	gv := policyv1.SchemeGroupVersion
	return []*registry.Resource{{
		GroupVersion: gv, Name: "poddisruptionbudgets", SingularName: "poddisruptionbudget", Kind: "PodDisruptionBudget",
		ShortNames: []string{"pdb"}, Namespaced: true, StorageKind: gv.WithKind("PodDisruptionBudget"), KeyPrefix: "poddisruptionbudgets",
		Status: true, TrackGeneration: true, RequireResourceVersion: true, StatusTakesMetadata: true,
		ValidateName: v.NameIsPathSegment,
		PrepareForCreate: func(obj runtime.Object) {
			stripPDBV1beta1Label(obj.(*policyv1.PodDisruptionBudget).Spec.Selector)
		},
		PrepareForUpdate: func(obj, old runtime.Object) {
			sel := obj.(*policyv1.PodDisruptionBudget).Spec.Selector
			if !apiequality.Semantic.DeepEqual(sel, old.(*policyv1.PodDisruptionBudget).Spec.Selector) {
				stripPDBV1beta1Label(sel)
			}
		},
		Validate:             v.ValidatePodDisruptionBudget,
		ValidateUpdate:       v.ValidatePodDisruptionBudgetUpdate,
		ValidateStatusUpdate: v.ValidatePodDisruptionBudgetStatusUpdate,
		Table:                printers.PodDisruptionBudget(),
	}}
}

// stripPDBV1beta1Label removes requirements on pdbV1beta1Label from a selector,
// except from the match-none selector (exactly "label exists") that v1beta1
// conversion produces.
func stripPDBV1beta1Label(sel *metav1.LabelSelector) {
	if sel == nil {
		return
	}
	matchNone := &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{
		{Key: pdbV1beta1Label, Operator: metav1.LabelSelectorOpExists}}}
	if apiequality.Semantic.DeepEqual(sel, matchNone) {
		return
	}
	kept := sel.MatchExpressions[:0]
	for _, r := range sel.MatchExpressions {
		if r.Key != pdbV1beta1Label {
			kept = append(kept, r)
		}
	}
	sel.MatchExpressions = kept
}
