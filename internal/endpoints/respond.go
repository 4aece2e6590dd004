package endpoints

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
)

func statusError(code int32, reason metav1.StatusReason, msg string) *apierrors.StatusError {
	return &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: code, Reason: reason, Message: msg,
	}}
}

// errorStatus converts any error to the Status kube-apiserver would send.
func errorStatus(err error) *metav1.Status {
	var st apierrors.APIStatus
	if errors.As(err, &st) {
		s := st.Status()
		if s.Status == "" {
			s.Status = metav1.StatusFailure
		}
		return &s
	}
	return &metav1.Status{
		Status: metav1.StatusFailure, Code: http.StatusInternalServerError,
		Reason: metav1.StatusReasonInternalError, Message: err.Error(),
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Message: err.Error()}}},
	}
}

var statusGVK = schema.GroupVersionKind{Version: "v1", Kind: "Status"}

// WriteError writes err as a metav1.Status in the negotiated media type.
func (a *API) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	st := errorStatus(err)
	st.SetGroupVersionKind(statusGVK)
	// As upstream, in the media type the client accepts (JSON when none is), pretty
	// for command-line tools.
	info, ser := a.jsonInfo, a.jsonInfo.Serializer
	if out, nerr := a.negotiateOutput(r, false); nerr == nil {
		info, ser = out.info, out.info.Serializer
		if out.pretty && info.PrettySerializer != nil {
			ser = info.PrettySerializer
		}
	}
	var buf bytes.Buffer
	if encErr := ser.Encode(st, &buf); encErr != nil {
		utilruntime.HandleError(encErr)
	}
	if st.Code == http.StatusTooManyRequests || st.Code == http.StatusServiceUnavailable || st.Code == http.StatusGatewayTimeout {
		if st.Details != nil && st.Details.RetryAfterSeconds > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(st.Details.RetryAfterSeconds))
		}
	}
	w.Header().Set("Content-Type", info.MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	code := int(st.Code)
	if code == 0 {
		code = http.StatusInternalServerError
	}
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// writeObject encodes obj (already in the served version, TypeMeta set) with out.
func (a *API) writeObject(w http.ResponseWriter, code int, out output, obj runtime.Object) {
	var buf bytes.Buffer
	ser := out.info.Serializer
	if out.pretty && out.info.PrettySerializer != nil {
		ser = out.info.PrettySerializer
	}
	if err := ser.Encode(obj, &buf); err != nil {
		code = http.StatusInternalServerError
		var apiErr apierrors.APIStatus
		if errors.As(err, &apiErr) && apiErr.Status().Code != 0 {
			// An object the format cannot carry (a custom resource in protobuf) is
			// the client's 406, as upstream.
			code = int(apiErr.Status().Code)
		} else {
			utilruntime.HandleError(fmt.Errorf("encoding %T: %w", obj, err))
		}
		buf.Reset()
		st := errorStatus(err)
		st.SetGroupVersionKind(statusGVK)
		_ = json.NewEncoder(&buf).Encode(st)
		out.info = a.jsonInfo
	}
	w.Header().Set("Content-Type", out.info.MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

// toServed converts a stored object to the served version and stamps its kind. The
// result may share memory with obj only when no conversion was needed.
func (e *endpoint) toServed(obj runtime.Object) (runtime.Object, error) {
	gvk := e.res.GroupVersionKind()
	if e.res.StorageKind == gvk {
		// Stored objects carry their kind already; shared cached objects are never written.
		if obj.GetObjectKind().GroupVersionKind() != gvk {
			obj.GetObjectKind().SetGroupVersionKind(gvk)
		}
		return obj, nil
	}
	out, err := e.types.New(gvk)
	if err != nil {
		return nil, err
	}
	if err := e.types.Convert(obj, out, nil); err != nil {
		return nil, err
	}
	out.GetObjectKind().SetGroupVersionKind(gvk)
	return out, nil
}

// toStorage converts a served-version object to the storage type.
func (e *endpoint) toStorage(obj runtime.Object) (runtime.Object, error) {
	if e.res.StorageKind == e.res.GroupVersionKind() {
		return obj, nil
	}
	out, err := e.types.New(e.res.StorageKind)
	if err != nil {
		return nil, err
	}
	if err := e.types.Convert(obj, out, nil); err != nil {
		return nil, err
	}
	out.GetObjectKind().SetGroupVersionKind(e.res.StorageKind)
	return out, nil
}

// listToServed converts a stored list to the served version's list type.
func (e *endpoint) listToServed(list runtime.Object) (runtime.Object, error) {
	listGVK := e.res.GroupVersion.WithKind(e.res.ListKindName())
	if e.res.StorageKind == e.res.GroupVersionKind() {
		list.GetObjectKind().SetGroupVersionKind(listGVK)
		return list, nil
	}
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out, err := e.types.New(listGVK)
	if err != nil {
		return nil, err
	}
	var converted []runtime.Object
	if batch, ok := e.types.(ItemsConverter); ok {
		// Custom resources keep apiVersion and kind on every item.
		if converted, err = batch.ConvertItems(items, e.res.GroupVersion); err != nil {
			return nil, err
		}
	} else {
		converted = make([]runtime.Object, 0, len(items))
		for _, item := range items {
			c, err := e.toServed(item)
			if err != nil {
				return nil, err
			}
			c.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
			converted = append(converted, c)
		}
	}
	if err := meta.SetList(out, converted); err != nil {
		return nil, err
	}
	src, _ := meta.ListAccessor(list)
	dst, _ := meta.ListAccessor(out)
	dst.SetResourceVersion(src.GetResourceVersion())
	dst.SetContinue(src.GetContinue())
	dst.SetRemainingItemCount(src.GetRemainingItemCount())
	out.GetObjectKind().SetGroupVersionKind(listGVK)
	return out, nil
}
