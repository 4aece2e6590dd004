package conversion

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// webhook is the Webhook conversion strategy of one CRD.
type webhook struct {
	client         *client
	reviewVersions []string
}

// convert sends the objects not yet at to in one ConversionReview and, when every
// answer passes upstream's checks, replaces their content by the converted objects.
//
// Upstream converts one object per call; its messages for that case are used when
// one object is sent, and its list messages (indexes among the objects sent, the
// kind suffixed with List) when several are.
func (w *webhook) convert(ctx context.Context, objs []*unstructured.Unstructured, to schema.GroupVersion) error {
	want := to.String()
	var send []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetAPIVersion() == want {
			continue
		}
		if onlyTypeMeta(o) {
			// An object with nothing to convert needs no webhook (upstream's
			// special case for the watch cache's probes).
			setVersion(o, to)
			continue
		}
		send = append(send, o)
	}
	if len(send) == 0 {
		return nil
	}
	single := len(send) == 1
	gvk := send[0].GroupVersionKind()
	if !single {
		gvk.Kind += "List"
	}
	uid := uuid.NewUUID()
	body, version, err := encodeReview(w.reviewVersions, send, want, uid)
	if err != nil {
		return err
	}
	a, err := w.client.post(ctx, body)
	if err != nil {
		return fmt.Errorf("conversion webhook for %v failed: %v", gvk, err)
	}
	converted, err := decodeResponse(a, version, uid)
	if err != nil {
		return fmt.Errorf("conversion webhook for %v failed: %v", gvk, err)
	}
	if len(converted) != len(send) {
		return fmt.Errorf("conversion webhook for %v returned %d objects, expected %d", gvk, len(converted), len(send))
	}
	results := make([]*unstructured.Unstructured, len(send))
	for i := range send {
		out, cerr := checkConverted(send[i], converted[i], to)
		if cerr != nil {
			return cerr.describe(gvk, i, single)
		}
		results[i] = out
	}
	for i, o := range send {
		o.Object = results[i].Object
	}
	return nil
}

// onlyTypeMeta reports whether o has nothing but apiVersion and kind.
func onlyTypeMeta(o *unstructured.Unstructured) bool {
	if len(o.Object) != 2 {
		return false
	}
	_, kind := o.Object["kind"]
	_, apiVersion := o.Object["apiVersion"]
	return kind && apiVersion
}

// encodeReview builds the ConversionReview of the first version in versions kapi
// supports and returns it with that version.
func encodeReview(versions []string, objs []*unstructured.Unstructured, desired string, uid types.UID) ([]byte, string, error) {
	raws := make([]runtime.RawExtension, len(objs))
	for i, o := range objs {
		raw, err := o.MarshalJSON()
		if err != nil {
			return nil, "", err
		}
		raws[i].Raw = raw
	}
	for _, v := range versions {
		var review any
		switch v {
		case apiextensionsv1.SchemeGroupVersion.Version:
			review = &apiextensionsv1.ConversionReview{
				TypeMeta: metav1.TypeMeta{APIVersion: apiextensionsv1.SchemeGroupVersion.String(), Kind: "ConversionReview"},
				Request:  &apiextensionsv1.ConversionRequest{UID: uid, DesiredAPIVersion: desired, Objects: raws},
				Response: &apiextensionsv1.ConversionResponse{},
			}
		case apiextensionsv1beta1.SchemeGroupVersion.Version:
			review = &apiextensionsv1beta1.ConversionReview{
				TypeMeta: metav1.TypeMeta{APIVersion: apiextensionsv1beta1.SchemeGroupVersion.String(), Kind: "ConversionReview"},
				Request:  &apiextensionsv1beta1.ConversionRequest{UID: uid, DesiredAPIVersion: desired, Objects: raws},
				Response: &apiextensionsv1beta1.ConversionResponse{},
			}
		default:
			continue
		}
		body, err := json.Marshal(review)
		return body, v, err
	}
	return nil, "", errors.New("no supported conversion review versions")
}

// convertedError is a converted object that failed a check; describe words it as
// upstream does for a single object or a list item.
type convertedError struct {
	// what is "object", "groupVersion", "kind", "identity" or "metadata".
	what string
	err  error
}

func (e *convertedError) describe(gvk schema.GroupVersionKind, index int, single bool) error {
	switch {
	case single && e.what == "object":
		return e.err
	case single && e.what == "identity":
		return fmt.Errorf("conversion webhook for %v returned invalid object: %v", gvk, e.err)
	case single && e.what == "metadata":
		return fmt.Errorf("conversion webhook for %v returned invalid metadata: %v", gvk, e.err)
	case single:
		return fmt.Errorf("conversion webhook for %v returned invalid object at index 0: %v", gvk, e.err)
	case e.what == "metadata":
		return fmt.Errorf("conversion webhook for %v returned invalid metadata in object at index %v: %v", gvk, index, e.err)
	default:
		return fmt.Errorf("conversion webhook for %v returned invalid converted object at index %v: %v", gvk, index, e.err)
	}
}

// checkConverted decodes one converted object and checks it against the original.
func checkConverted(original *unstructured.Unstructured, raw runtime.RawExtension, to schema.GroupVersion) (*unstructured.Unstructured, *convertedError) {
	out := &unstructured.Unstructured{}
	if err := out.UnmarshalJSON(raw.Raw); err != nil {
		return nil, &convertedError{"object", err}
	}
	if got := out.GroupVersionKind().GroupVersion(); got != to {
		return nil, &convertedError{"groupVersion", fmt.Errorf("invalid groupVersion (expected %v, received %v)", to, got)}
	}
	if want, got := original.GetKind(), out.GetKind(); want != got {
		return nil, &convertedError{"kind", fmt.Errorf("invalid kind (expected %v, received %v)", want, got)}
	}
	if err := checkIdentity(original, out); err != nil {
		return nil, &convertedError{"identity", err}
	}
	if err := keepMetadata(original, out); err != nil {
		return nil, &convertedError{"metadata", err}
	}
	return out, nil
}
