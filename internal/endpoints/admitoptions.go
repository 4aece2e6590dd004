package endpoints

import (
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The options objects admission sees (an AdmissionReview's request.options, CEL's
// request.options) are the request's own, as upstream passes them along: patches
// and applies are admitted as updates with UpdateOptions (force is dropped), and a
// write that creates through PUT or apply as a create with CreateOptions.

// writeOptions are the CreateOptions or UpdateOptions of a write request (create,
// update, patch, apply), read from its query as upstream's parameter codec reads
// them: every dryRun value, the first fieldManager and fieldValidation.
func writeOptions(r *http.Request, op string) runtime.Object {
	q := r.URL.Query()
	dry, manager, validation := q["dryRun"], q.Get("fieldManager"), q.Get("fieldValidation")
	if op == "CREATE" {
		return &metav1.CreateOptions{TypeMeta: optionsMeta("CreateOptions"),
			DryRun: dry, FieldManager: manager, FieldValidation: validation}
	}
	return &metav1.UpdateOptions{TypeMeta: optionsMeta("UpdateOptions"),
		DryRun: dry, FieldManager: manager, FieldValidation: validation}
}

func optionsMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: metav1.SchemeGroupVersion.String(), Kind: kind}
}

// asCreateOptions turns the UpdateOptions of a write that creates into the
// CreateOptions upstream admits the create with.
func asCreateOptions(opts runtime.Object) runtime.Object {
	uo, ok := opts.(*metav1.UpdateOptions)
	if !ok {
		return opts
	}
	return &metav1.CreateOptions{TypeMeta: optionsMeta("CreateOptions"),
		DryRun: uo.DryRun, FieldManager: uo.FieldManager, FieldValidation: uo.FieldValidation}
}

// admittedDeleteOptions is a copy of a delete's options for admission, typed as
// upstream types them whatever the body said; a dry run asked for in the query
// alone shows in them too, so that options and request.dryRun agree.
func admittedDeleteOptions(opts *metav1.DeleteOptions, dry bool) *metav1.DeleteOptions {
	out := &metav1.DeleteOptions{}
	if opts != nil {
		out = opts.DeepCopy()
	}
	out.TypeMeta = optionsMeta("DeleteOptions")
	if dry && len(out.DryRun) == 0 {
		out.DryRun = []string{metav1.DryRunAll}
	}
	return out
}

// deleteOptionsFor is opts as upstream's admission of the delete of current sees
// them: the registry has already read them, so a negative grace period reads 1 and
// a resource deleted gracefully (pods) carries the period it is about to use.
func (e *endpoint) deleteOptionsFor(opts runtime.Object, current runtime.Object) runtime.Object {
	do, ok := opts.(*metav1.DeleteOptions)
	if !ok || current == nil {
		return opts
	}
	out := do.DeepCopy()
	if g := out.GracePeriodSeconds; g != nil && *g < 0 {
		one := int64(1)
		out.GracePeriodSeconds = &one
	}
	if e.res.GracePeriod == nil {
		return out
	}
	acc, err := meta.Accessor(current)
	if err != nil || acc.GetDeletionTimestamp() != nil {
		// Already going: upstream keeps the period given.
		return out
	}
	grace := e.res.GracePeriod(current, do.GracePeriodSeconds)
	out.GracePeriodSeconds = &grace
	return out
}
