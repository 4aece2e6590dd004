package endpoints

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func badRequest(err error) error { return apierrors.NewBadRequest(err.Error()) }

// listOptions decodes and checks the list query parameters.
func (a *API) listOptions(r *http.Request) (*metav1.ListOptions, error) {
	var opts metav1.ListOptions
	if err := a.decodeParams(r, &opts); err != nil {
		return nil, badRequest(err)
	}
	if opts.Continue != "" && opts.ResourceVersion != "" && opts.ResourceVersion != "0" {
		return nil, apierrors.NewBadRequest("specifying resource version is not allowed when using continue")
	}
	if opts.ResourceVersionMatch != "" {
		switch opts.ResourceVersionMatch {
		case metav1.ResourceVersionMatchExact, metav1.ResourceVersionMatchNotOlderThan:
		default:
			return nil, invalidListOptions("resourceVersionMatch", string(opts.ResourceVersionMatch),
				`supported values: "Exact", "NotOlderThan"`)
		}
		if opts.ResourceVersion == "" {
			return nil, invalidListOptions("resourceVersionMatch", string(opts.ResourceVersionMatch),
				"resourceVersionMatch is forbidden unless resourceVersion is provided")
		}
		if opts.ResourceVersionMatch == metav1.ResourceVersionMatchExact && opts.ResourceVersion == "0" {
			return nil, invalidListOptions("resourceVersionMatch", string(opts.ResourceVersionMatch),
				"resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\"")
		}
	}
	return &opts, nil
}

func invalidListOptions(field, value, detail string) error {
	return apierrors.NewBadRequest("ListOptions.meta.k8s.io \"\" is invalid: " + field + ": Invalid value: \"" + value + "\": " + detail)
}

func (e *endpoint) list(w http.ResponseWriter, r *http.Request, ns string) {
	out, err := e.api.negotiateOutput(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	opts, err := e.api.listOptions(r)
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
