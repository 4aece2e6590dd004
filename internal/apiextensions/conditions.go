package apiextensions

import (
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// condition returns crd's condition of type t, or nil.
func condition(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) *apiextensionsv1.CustomResourceDefinitionCondition {
	for i := range crd.Status.Conditions {
		if crd.Status.Conditions[i].Type == t {
			return &crd.Status.Conditions[i]
		}
	}
	return nil
}

// isTrue reports whether crd's condition t is True.
func isTrue(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) bool {
	c := condition(crd, t)
	return c != nil && c.Status == apiextensionsv1.ConditionTrue
}

// setCondition sets c on crd, keeping the transition time when the status does not
// change, as upstream's SetCRDCondition.
func setCondition(crd *apiextensionsv1.CustomResourceDefinition, c apiextensionsv1.CustomResourceDefinitionCondition) {
	old := condition(crd, c.Type)
	if old == nil {
		c.LastTransitionTime = metav1.Now()
		crd.Status.Conditions = append(crd.Status.Conditions, c)
		return
	}
	if old.Status != c.Status || old.LastTransitionTime.IsZero() {
		c.LastTransitionTime = metav1.Now()
	} else {
		c.LastTransitionTime = old.LastTransitionTime
	}
	*old = c
}

// hasFinalizer reports whether crd still waits for its instances' cleanup.
func hasFinalizer(crd *apiextensionsv1.CustomResourceDefinition) bool {
	return slices.Contains(crd.Finalizers, apiextensionsv1.CustomResourceCleanupFinalizer)
}

// PrepareForDelete is the CRD resource's delete hook: the first delete adds the
// cleanup finalizer and the Terminating condition, so the CRD stays until every
// instance is gone, as upstream. It reports whether the CRD must linger.
func PrepareForDelete(crd *apiextensionsv1.CustomResourceDefinition) bool {
	if condition(crd, apiextensionsv1.Terminating) != nil {
		return hasFinalizer(crd)
	}
	if !hasFinalizer(crd) {
		crd.Finalizers = append(crd.Finalizers, apiextensionsv1.CustomResourceCleanupFinalizer)
	}
	setCondition(crd, apiextensionsv1.CustomResourceDefinitionCondition{
		Type: apiextensionsv1.Terminating, Status: apiextensionsv1.ConditionTrue,
		Reason:  "InstanceDeletionPending",
		Message: "CustomResourceDefinition marked for deletion; CustomResource deletion will begin soon",
	})
	return true
}
