package endpoints

import (
	"net/http"

	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	listvalidation "k8s.io/apimachinery/pkg/apis/meta/internalversion/validation"
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
	if opts.Continue != "" && opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		return nil, apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
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
	out, err := e.api.negotiateOutput(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	opts, err := e.api.listOptions(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	list, err := e.store.List(r.Context(), ns, opts)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondList(w, r, out, list)
}
