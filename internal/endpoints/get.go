package endpoints

import (
	"net/http"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func (e *endpoint) get(w http.ResponseWriter, r *http.Request, ns, name string) {
	out, err := e.negotiateOutput(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	var opts metav1.GetOptions
	if err := e.api.decodeParams(r, &opts); err != nil {
		e.api.WriteError(w, r, badRequest(err))
		return
	}
	var obj runtime.Object
	if e.res.Get != nil {
		obj, err = e.res.Get(r.Context(), name)
	} else {
		obj, err = e.store.Get(r.Context(), ns, name, &opts)
	}
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondObject(w, r, http.StatusOK, out, obj)
}
