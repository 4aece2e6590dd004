package endpoints

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// deleteOptions reads DeleteOptions from the body (any served encoding) or the query.
func (e *endpoint) deleteOptions(r *http.Request) (*metav1.DeleteOptions, bool, error) {
	opts := &metav1.DeleteOptions{}
	body, err := readBody(r)
	if err != nil {
		return nil, false, err
	}
	if len(body) > 0 {
		info, err := e.api.negotiateInput(r)
		if err != nil {
			return nil, false, err
		}
		gvk := metav1.SchemeGroupVersion.WithKind("DeleteOptions")
		if _, _, err := info.Serializer.Decode(body, &gvk, opts); err != nil {
			return nil, false, apierrors.NewBadRequest(err.Error())
		}
	} else if err := e.api.decodeParams(r, opts); err != nil {
		return nil, false, badRequest(err)
	}
	dry, err := dryRun(r, "DeleteOptions")
	if err != nil {
		return nil, false, err
	}
	if err := checkDryRun(opts.DryRun, "DeleteOptions"); err != nil {
		return nil, false, err
	}
	return opts, dry || len(opts.DryRun) > 0, nil
}

func (e *endpoint) delete(w http.ResponseWriter, r *http.Request, ns, name string) {
	out, err := e.negotiateOutput(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	opts, dry, err := e.deleteOptions(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	// Mutating then validating admission run once the object is read, both with it
	// as the old object, as upstream's delete admission does.
	mutate, validate := e.admitFuncs("DELETE", ns, name, "", dry, admittedDeleteOptions(opts, dry))
	obj, gone, err := e.store.Delete(r.Context(), ns, name, opts, chain(mutate, validate), dry)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if !gone {
		// The object lingers (finalizers, graceful deletion): 200 with the object.
		e.respondObject(w, r, http.StatusOK, out, obj)
		return
	}
	if e.res.ReturnDeletedObject {
		e.respondObject(w, r, http.StatusOK, out, obj)
		return
	}
	e.api.writeObject(w, http.StatusOK, out, successStatus(e, obj, name))
}

func successStatus(e *endpoint, obj runtime.Object, name string) *metav1.Status {
	st := &metav1.Status{Status: metav1.StatusSuccess, Details: &metav1.StatusDetails{
		Name: name, Group: e.res.GroupVersion.Group, Kind: e.res.Name,
	}}
	if acc, ok := obj.(metav1.Object); ok {
		st.Details.UID = acc.GetUID()
	}
	st.SetGroupVersionKind(statusGVK)
	return st
}

func (e *endpoint) deleteCollection(w http.ResponseWriter, r *http.Request, ns string) {
	out, err := e.negotiateOutput(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	lopts, err := e.api.listOptions(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	opts, dry, err := e.deleteOptions(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	mutate, validate := e.admitFuncs("DELETE", ns, "", "", dry, admittedDeleteOptions(opts, dry))
	list, err := e.store.DeleteCollection(r.Context(), ns, opts, lopts, chain(mutate, validate), dry)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	res, err := e.listToServed(list)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.api.writeObject(w, http.StatusOK, out, res)
}
