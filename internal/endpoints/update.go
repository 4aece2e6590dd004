package endpoints

import (
	"context"
	"net/http"

	"k8s.io/apimachinery/pkg/runtime"
)

func (e *endpoint) update(w http.ResponseWriter, r *http.Request, ns, name, subresource string) {
	out, dry, body, err := e.writeRequest(r, "UpdateOptions")
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	obj, err := e.decodeBody(w, r, body)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	mutate, validate, err := e.writeFuncs(r, "UPDATE", ns, name, subresource, dry, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	result, created, err := e.store.Update(r.Context(), ns, name, subresource, func(_ context.Context, _ runtime.Object) (runtime.Object, error) {
		return obj.DeepCopyObject(), nil
	}, mutate, validate, false, dry)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	code := http.StatusOK
	if created {
		code = http.StatusCreated
	}
	e.respondObject(w, r, code, out, result)
}
