package endpoints

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/mergepatch"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// maxJSONPatchOperations bounds a JSON patch, as upstream does.
const maxJSONPatchOperations = 10000

func (e *endpoint) patch(w http.ResponseWriter, r *http.Request, ns, name, subresource string) {
	out, err := e.negotiateOutput(r, false)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	dry, err := dryRun(r, "PatchOptions")
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	pt := types.PatchType(mediaTypeOf(r.Header.Get("Content-Type")))
	if e.custom && pt == types.StrategicMergePatchType {
		// Custom resources have no patch strategies to merge by.
		e.api.WriteError(w, r, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
			fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s",
				types.JSONPatchType, types.MergePatchType, types.ApplyYAMLPatchType)))
		return
	}
	switch pt {
	case types.ApplyYAMLPatchType:
		e.serverSideApply(w, r, out, ns, name, subresource, dry)
		return
	case types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType:
		if r.URL.Query().Get("force") != "" {
			e.api.WriteError(w, r, apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: "PatchOptions"}, "",
				field.ErrorList{field.Forbidden(field.NewPath("force"), "may not be specified for non-apply patch")}))
			return
		}
	default:
		if e.custom {
			e.api.WriteError(w, r, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
				fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s",
					types.JSONPatchType, types.MergePatchType, types.ApplyYAMLPatchType)))
			return
		}
		// Upstream's router refuses it before any handler, in its own words.
		err := statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType, "415: Unsupported Media Type")
		err.ErrStatus.Details = &metav1.StatusDetails{}
		e.api.WriteError(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	// Only apply patches may be YAML; the others must be JSON as sent.
	if !json.Valid(body) {
		e.api.WriteError(w, r, apierrors.NewBadRequest("invalid JSON patch"))
		return
	}
	patchJSON := body
	mode, err := fieldValidation(r)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	mutate, validate, err := e.writeFuncs(r, "UPDATE", ns, name, subresource, dry, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	var warnings []string
	result, _, err := e.store.Update(r.Context(), ns, name, subresource, func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(e.store.Resource().GroupVersionResource().GroupResource(), name)
		}
		obj, warns, err := e.patchObject(pt, patchJSON, current, mode)
		warnings = warns
		return obj, err
	}, mutate, validate, false, dry)
	addWarnings(w, warnings)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondObject(w, r, http.StatusOK, out, result)
}

func mediaTypeOf(ct string) string {
	if i := bytes.IndexByte([]byte(ct), ';'); i >= 0 {
		ct = ct[:i]
	}
	return string(bytes.TrimSpace([]byte(ct)))
}

// patchObject applies a patch to the served-version JSON of current and decodes the
// result back to the storage type.
func (e *endpoint) patchObject(pt types.PatchType, patch []byte, current runtime.Object, mode string) (runtime.Object, []string, error) {
	served, err := e.toServed(current)
	if err != nil {
		return nil, nil, err
	}
	schemaObj, err := e.types.New(e.res.GroupVersionKind())
	if err != nil {
		return nil, nil, apierrors.NewInternalError(err)
	}
	patched, err := patchJSON(e.api, pt, patch, served, schemaObj)
	if err != nil {
		return nil, nil, err
	}
	return e.decode(e.api.jsonInfo, patched, mode)
}

func patchError(err error) error {
	return apierrors.NewGenericServerResponse(http.StatusUnprocessableEntity, "", schema.GroupResource{}, "", err.Error(), 0, false)
}

// patchJSON applies a patch of type pt to the JSON of obj; schemaObj is an empty
// object of the same type, for strategic merge's patch directives.
func patchJSON(a *API, pt types.PatchType, patch []byte, obj, schemaObj runtime.Object) ([]byte, error) {
	var buf bytes.Buffer
	if err := a.jsonInfo.Serializer.Encode(obj, &buf); err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	original := buf.Bytes()
	switch pt {
	case types.JSONPatchType:
		ops, err := jsonpatch.DecodePatch(patch)
		if err != nil {
			return nil, apierrors.NewBadRequest(err.Error())
		}
		if len(ops) > maxJSONPatchOperations {
			return nil, apierrors.NewRequestEntityTooLargeError(fmt.Sprintf("The allowed maximum operations in a JSON patch is %d, got %d", maxJSONPatchOperations, len(ops)))
		}
		patched, err := ops.Apply(original)
		if err != nil {
			return nil, patchError(err)
		}
		return patched, nil
	case types.MergePatchType:
		patched, err := jsonpatch.MergePatch(original, patch)
		if err != nil {
			return nil, patchError(err)
		}
		return patched, nil
	case types.StrategicMergePatchType:
		patched, err := strategicpatch.StrategicMergePatch(original, patch, schemaObj)
		if err != nil {
			if mergepatch.IsPreconditionFailed(err) {
				return nil, apierrors.NewBadRequest(err.Error())
			}
			return nil, patchError(err)
		}
		return patched, nil
	}
	return nil, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
		fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: %s, %s, %s",
			types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType))
}
