package endpoints

import (
	"context"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

// decodeBody decodes a request body into a new object of the served version,
// defaulted, and returns it converted to the storage type.
func (e *endpoint) decodeBody(w http.ResponseWriter, r *http.Request, body []byte) (runtime.Object, error) {
	info, err := e.api.negotiateInput(r)
	if err != nil {
		return nil, err
	}
	mode, err := fieldValidation(r)
	if err != nil {
		return nil, err
	}
	obj, warnings, err := e.decode(info, body, mode)
	addWarnings(w, warnings)
	return obj, err
}

// decode decodes body into the served type, checks unknown and duplicate fields as
// mode asks (Strict fails, Warn returns them as warnings), defaults it, and converts
// it to the storage type.
func (e *endpoint) decode(info runtime.SerializerInfo, body []byte, mode string) (runtime.Object, []string, error) {
	gvk := e.res.GroupVersionKind()
	into, err := e.types.New(gvk)
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	decoder := info.Serializer
	if strict := e.api.strict[info.MediaType]; strict != nil && mode != fieldValidationIgnore {
		decoder = strict
	}
	var strictErrs []error
	obj, got, err := decoder.Decode(body, &gvk, into)
	if err != nil && runtime.IsStrictDecodingError(err) {
		if sde, ok := runtime.AsStrictDecodingError(err); ok {
			strictErrs = sde.Errors()
		}
		err = nil
	}
	if err != nil {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err))
	}
	if got.GroupVersion() != gvk.GroupVersion() {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", got.GroupVersion(), gvk.GroupVersion()))
	}
	if got.Kind != gvk.Kind || obj != into {
		return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: the object provided is unrecognized (must be of type %s)", got.Kind, got.Version, gvk.Kind, gvk.Kind))
	}
	if e.afterDecode != nil {
		unknown, err := e.afterDecode(obj)
		if err != nil {
			return nil, nil, err
		}
		if mode != fieldValidationIgnore {
			for _, path := range unknown {
				strictErrs = append(strictErrs, fmt.Errorf("unknown field %q", path))
			}
		}
	}
	var warnings []string
	if len(strictErrs) > 0 {
		if mode == fieldValidationStrict {
			return nil, nil, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, runtime.NewStrictDecodingError(strictErrs)))
		}
		for _, e := range strictErrs {
			warnings = append(warnings, e.Error())
		}
	}
	e.types.Default(obj)
	if e.res.Internalize != nil {
		e.res.Internalize(obj)
	}
	out, err := e.toStorage(obj)
	return out, warnings, err
}

// admitFuncs wraps the admission chain for one request; opts are the request's
// options (see writeOptions and admittedDeleteOptions).
func (e *endpoint) admitFuncs(op, ns, name, subresource string, dry bool, opts runtime.Object) (mutate, validate registry.AdmitFunc) {
	if e.api.admission == nil {
		return nil, nil
	}
	attrs := func(obj, old runtime.Object) *Attributes {
		n := name
		if n == "" && obj != nil {
			if acc, ok := obj.(metav1.Object); ok {
				n = acc.GetName()
			}
		}
		operation, options := op, opts
		switch {
		case op == "UPDATE" && old == nil:
			// A PUT or an apply that creates the object is admitted as a create.
			operation, options = "CREATE", asCreateOptions(opts)
		case op == "DELETE" && old != nil:
			// Admission may not change the object the delete goes on with.
			old = old.DeepCopyObject()
			if name != "" {
				// A single delete's options as the registry left them; each
				// item of a collection sees the request's as they came.
				options = e.deleteOptionsFor(opts, old)
			}
		}
		return &Attributes{Operation: operation, Resource: e.res.GroupVersionResource(), Kind: e.res.GroupVersionKind(),
			Subresource: subresource, Namespace: ns, Name: n, Object: obj, OldObject: old, DryRun: dry, Options: options,
			Types: e.types}
	}
	mutate = func(ctx context.Context, obj, old runtime.Object) error {
		return e.api.admission.Mutate(ctx, attrs(obj, old))
	}
	validate = func(ctx context.Context, obj, old runtime.Object) error {
		return e.api.admission.Validate(ctx, attrs(obj, old))
	}
	return mutate, validate
}

func (e *endpoint) create(w http.ResponseWriter, r *http.Request, ns string) {
	out, dry, body, err := e.writeRequest(r, "CreateOptions")
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	obj, err := e.decodeBody(w, r, body)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if e.res.Create != nil {
		// A virtual resource: its own Create answers.
		result, err := e.res.Create(r.Context(), ns, obj, dry)
		if err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		if result.GetObjectKind().GroupVersionKind().Empty() {
			// A body may leave out its kind; the answer names it, as upstream's encoder does.
			result.GetObjectKind().SetGroupVersionKind(e.res.GroupVersionKind())
		}
		e.api.writeObject(w, http.StatusCreated, out, withKind(result))
		return
	}
	mutate, validate, err := e.writeFuncs(r, "CREATE", ns, "", "", dry, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	created, err := e.store.Create(r.Context(), ns, obj, mutate, validate, dry)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondObject(w, r, http.StatusCreated, out, created)
}

// createSubresource serves POST to a subresource that creates (pods/binding).
func (e *endpoint) createSubresource(w http.ResponseWriter, r *http.Request, ns, name string, sub *registry.Subresource) {
	out, dry, body, err := e.writeRequest(r, "CreateOptions")
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	info, err := e.api.negotiateInput(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	gvk := e.res.SubresourceKind(sub)
	into, err := e.types.New(gvk)
	if err != nil {
		e.api.WriteError(w, r, apierrors.NewInternalError(err))
		return
	}
	obj, _, err := info.Serializer.Decode(body, &gvk, into)
	if err != nil || obj != into {
		e.api.WriteError(w, r, apierrors.NewBadRequest(fmt.Sprintf("%s in version %q cannot be handled as a %s: %v", gvk.Kind, gvk.Version, gvk.Kind, err)))
		return
	}
	e.types.Default(obj)
	// The body is admitted as a create of the subresource (pods/binding,
	// pods/eviction), in its own kind, before the subresource acts on it.
	if e.api.admission != nil {
		attrs := &Attributes{Operation: "CREATE", Resource: e.res.GroupVersionResource(), Kind: gvk, Subresource: sub.Name,
			Namespace: ns, Name: name, Object: obj, DryRun: dry, Options: writeOptions(r, "CREATE"), Types: e.types}
		if err := e.api.admission.Mutate(r.Context(), attrs); err != nil {
			e.api.WriteError(w, r, err)
			return
		}
		if err := e.api.admission.Validate(r.Context(), attrs); err != nil {
			e.api.WriteError(w, r, err)
			return
		}
	}
	result, err := sub.Create(r.Context(), ns, name, obj, dry)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.api.writeObject(w, http.StatusCreated, out, withKind(result))
}

// withKind stamps a Status answer with its kind and, as upstream, the 201 of a create
// when it carries no code of its own (the HTTP status stays 201 either way).
func withKind(obj runtime.Object) runtime.Object {
	if st, ok := obj.(*metav1.Status); ok {
		st.SetGroupVersionKind(statusGVK)
		if st.Code == 0 {
			st.Code = http.StatusCreated
		}
	}
	return obj
}
