package endpoints

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// serverSideApply serves PATCH with application/apply-patch+yaml: the applied
// configuration is merged into the live object by structured-merge-diff, owning the
// fields it names for the field manager, and the result goes through the normal
// update path. A missing object is created.
func (e *endpoint) serverSideApply(w http.ResponseWriter, r *http.Request, out output, ns, name, subresource string, dry bool) {
	manager := r.URL.Query().Get("fieldManager")
	if manager == "" {
		e.api.WriteError(w, r, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "PatchOptions"}, "",
			field.ErrorList{field.Required(field.NewPath("fieldManager"), "is required for apply patch")}))
		return
	}
	if _, err := managerName(r); err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	force := r.URL.Query().Get("force") == "true"
	body, err := readBody(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	applied := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(body, &applied.Object); err != nil {
		e.api.WriteError(w, r, apierrors.NewBadRequest(fmt.Sprintf("error decoding patch: %v", err)))
		return
	}
	// Unknown fields fail in structured-merge-diff whatever the mode; fieldValidation
	// decides about duplicate fields, as upstream.
	mode, err := fieldValidation(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if mode != fieldValidationIgnore {
		if err := yaml.UnmarshalStrict(body, &map[string]any{}); err != nil {
			if mode == fieldValidationStrict {
				e.api.WriteError(w, r, apierrors.NewBadRequest(fmt.Sprintf("error strict decoding patch: %v", err)))
				return
			}
			addWarnings(w, strings.Split(err.Error(), "\n"))
		}
	}
	if applied.Object == nil {
		e.api.WriteError(w, r, apierrors.NewBadRequest("error decoding YAML: the apply patch is empty"))
		return
	}
	if gvk := applied.GroupVersionKind(); gvk != e.res.GroupVersionKind() {
		e.api.WriteError(w, r, apierrors.NewBadRequest(fmt.Sprintf(
			"Incorrect version specified in apply patch. Specified patch version: %s, expected: %s",
			gvk.GroupVersion(), e.res.GroupVersion)))
		return
	}
	fm, err := e.fieldManagers.forResource(e.types, e.res, subresource)
	if err != nil || fm == nil {
		e.api.WriteError(w, r, apierrors.NewInternalError(fmt.Errorf("server-side apply is not available: %v", err)))
		return
	}
	mutate, validate, err := e.writeFuncs(r, "UPDATE", ns, name, subresource, dry, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	result, created, err := e.store.Update(r.Context(), ns, name, subresource, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		live := current
		if live == nil {
			if subresource != "" {
				return nil, apierrors.NewNotFound(e.res.GroupVersionResource().GroupResource(), name)
			}
			if live, err = e.types.New(e.res.StorageKind); err != nil {
				return nil, err
			}
			acc, _ := meta.Accessor(live)
			acc.SetName(name)
			acc.SetNamespace(ns)
		}
		obj, err := fm.Apply(live, applied.DeepCopy(), manager, force)
		if err != nil {
			if se, ok := err.(*apierrors.StatusError); ok {
				sortConflictCauses(se)
				return nil, se
			}
			if _, ok := err.(apierrors.APIStatus); ok {
				return nil, err
			}
			// Upstream answers structured-merge-diff's own errors (a field the schema
			// does not declare) as a plain 500 without a reason.
			return nil, &apierrors.StatusError{ErrStatus: metav1.Status{Status: metav1.StatusFailure,
				Code: http.StatusInternalServerError, Message: err.Error()}}
		}
		return obj, nil
	}, mutate, validate, true, dry)
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

// sortConflictCauses orders an apply conflict's causes by manager, as its message
// is, so that answers do not depend on map iteration order.
func sortConflictCauses(se *apierrors.StatusError) {
	if d := se.ErrStatus.Details; d != nil && se.ErrStatus.Reason == metav1.StatusReasonConflict {
		sort.SliceStable(d.Causes, func(i, j int) bool { return d.Causes[i].Message < d.Causes[j].Message })
	}
}
