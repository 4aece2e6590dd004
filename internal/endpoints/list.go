package endpoints

import (
	"net/http"

	"k8s.io/apimachinery/pkg/api/meta"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	listvalidation "k8s.io/apimachinery/pkg/apis/meta/internalversion/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func badRequest(err error) error { return apierrors.NewBadRequest(err.Error()) }

// listOptions decodes the list and watch query parameters and checks them with
// upstream's rules (422 Invalid ListOptions on a bad combination).
func (a *API) listOptions(r *http.Request, watch bool) (*metav1.ListOptions, error) {
	var opts metav1.ListOptions
	if err := a.decodeParams(r, &opts); err != nil {
		return nil, badRequest(err)
	}
	internal := metainternalversion.ListOptions{
		Watch: watch, ResourceVersion: opts.ResourceVersion, ResourceVersionMatch: opts.ResourceVersionMatch,
		Continue: opts.Continue, Limit: opts.Limit, AllowWatchBookmarks: opts.AllowWatchBookmarks,
		SendInitialEvents: opts.SendInitialEvents, TimeoutSeconds: opts.TimeoutSeconds,
	}
	if errs := listvalidation.ValidateListOptions(&internal, true); len(errs) > 0 {
		return nil, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "ListOptions"}, "", errs)
	}
	return &opts, nil
}

func (e *endpoint) list(w http.ResponseWriter, r *http.Request, ns string) {
	out, err := e.negotiateOutput(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	opts, err := e.api.listOptions(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	var list runtime.Object
	if e.res.List != nil {
		list, err = e.listVirtual(r, opts)
	} else if format, ok := e.spliceFormat(out); ok {
		e.listSpliced(w, r, out, format, ns, opts)
		return
	} else {
		list, err = e.store.List(r.Context(), ns, opts)
	}
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondList(w, r, out, list)
}

// listVirtual lists a virtual resource and applies the selectors to what it returns.
func (e *endpoint) listVirtual(r *http.Request, opts *metav1.ListOptions) (runtime.Object, error) {
	list, err := e.res.List(r.Context())
	if err != nil {
		return nil, err
	}
	pred, err := e.store.Predicate(opts.LabelSelector, opts.FieldSelector)
	if err != nil {
		return nil, err
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	var kept []runtime.Object
	for _, item := range items {
		if ok, err := pred.Matches(item); err == nil && ok {
			kept = append(kept, item)
		}
	}
	return list, meta.SetList(list, kept)
}
