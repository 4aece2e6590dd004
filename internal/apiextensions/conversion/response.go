package conversion

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"reflect"
	"strings"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apiextensionsv1beta1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1beta1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// upstreamSchemeName is the scheme upstream's webhook client decodes with, as its
// "no kind is registered" errors name it.
const upstreamSchemeName = "k8s.io/apiserver/pkg/util/webhook/client.go:74"

// maxErrorText bounds how much of a text answer an error quotes (client-go's).
const maxErrorText = 2048

// reviewScheme knows the kinds upstream's webhook client decodes: the apiextensions
// types and the unversioned meta kinds (Status, ...). It only names them in errors.
var reviewScheme = func() *runtime.Scheme {
	s := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		panic(err)
	}
	if err := apiextensionsv1beta1.AddToScheme(s); err != nil {
		panic(err)
	}
	return s
}()

// decodeResponse reads a webhook's answer to the review of version ("v1" or
// "v1beta1") with the given uid and returns the converted objects, failing as
// upstream's client and response checks do. The errors are not yet prefixed with
// the "conversion webhook for ..." context.
func decodeResponse(a *answer, version string, uid types.UID) ([]runtime.RawExtension, error) {
	contentType := a.contentType
	if contentType == "" {
		contentType = "application/json"
	}
	media, _, mediaErr := mime.ParseMediaType(contentType)
	if a.status < http.StatusOK || a.status > http.StatusPartialContent {
		return nil, statusError(a, media, mediaErr == nil)
	}
	if mediaErr != nil {
		return nil, apierrors.NewInternalError(mediaErr)
	}
	body := a.body
	switch media {
	case "application/json":
	case "application/yaml":
		var err error
		if body, err = yaml.YAMLToJSON(body); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("serializer for %s doesn't exist", contentType)
	}
	if len(a.body) == 0 {
		return nil, fmt.Errorf("0-length response with status code: %d and content type: %s", a.status, contentType)
	}
	want := apiextensionsv1.SchemeGroupVersion.WithKind("ConversionReview")
	if version == apiextensionsv1beta1.SchemeGroupVersion.Version {
		want = apiextensionsv1beta1.SchemeGroupVersion.WithKind("ConversionReview")
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(body, &tm); err != nil {
		return nil, fmt.Errorf("couldn't get version/kind; json parse error: %v", err)
	}
	if err := checkKind(tm, want); err != nil {
		return nil, err
	}
	if want.Version == "v1beta1" {
		var review apiextensionsv1beta1.ConversionReview
		if err := sigsjson.UnmarshalCaseSensitivePreserveInts(body, &review); err != nil {
			return nil, err
		}
		// As upstream, a v1beta1 answer's kind and uid are not checked.
		if review.Response == nil {
			return nil, errors.New("no response provided")
		}
		if err := resultSucceeded(review.Response.Result); err != nil {
			return nil, err
		}
		return review.Response.ConvertedObjects, nil
	}
	var review apiextensionsv1.ConversionReview
	if err := sigsjson.UnmarshalCaseSensitivePreserveInts(body, &review); err != nil {
		return nil, err
	}
	if got := review.GroupVersionKind(); got != want {
		return nil, fmt.Errorf("expected webhook response of %v, got %v", want, got)
	}
	if review.Response == nil {
		return nil, errors.New("no response provided")
	}
	if review.Response.UID != uid {
		return nil, fmt.Errorf("expected response.uid=%q, got %q", uid, review.Response.UID)
	}
	if err := resultSucceeded(review.Response.Result); err != nil {
		return nil, err
	}
	return review.Response.ConvertedObjects, nil
}

// checkKind refuses an answer of another kind than the review sent, as decoding it
// into the review type does upstream. An absent apiVersion or kind defaults to the
// review's.
func checkKind(tm metav1.TypeMeta, want schema.GroupVersionKind) error {
	got := schema.FromAPIVersionAndKind(tm.APIVersion, tm.Kind)
	if got.Kind == "" {
		got.Kind = want.Kind
	}
	if got.Version == "" && got.Group == "" {
		got.Group, got.Version = want.Group, want.Version
	}
	if got.Version == "" && got.Group == want.Group {
		got.Version = want.Version
	}
	if got == want {
		return nil
	}
	obj, err := reviewScheme.New(got)
	if err != nil {
		return fmt.Errorf("no kind %q is registered for version %q in scheme %q", got.Kind, got.GroupVersion().String(), upstreamSchemeName)
	}
	into, _ := reviewScheme.New(want)
	return fmt.Errorf("converting (%s) to (%s): unknown conversion", reflect.TypeOf(obj).Elem(), reflect.TypeOf(into).Elem())
}

// resultSucceeded checks a response's result: its message, or upstream's own one
// when it has none, unless the status is Success.
func resultSucceeded(result metav1.Status) error {
	if result.Status == metav1.StatusSuccess {
		return nil
	}
	if result.Message != "" {
		return errors.New(result.Message)
	}
	return fmt.Errorf("response.result.status was '%s', not 'Success'", result.Status)
}

// statusError is the error of a non-2xx answer, as client-go reports it: the
// answer's own failure Status when it sent one as JSON, a generic message for the
// code otherwise (quoting a text answer).
func statusError(a *answer, media string, mediaOK bool) error {
	if mediaOK && (media == "application/json" || media == "application/yaml") {
		body := a.body
		if media == "application/yaml" {
			body, _ = yaml.YAMLToJSON(body)
		}
		var st metav1.Status
		if json.Unmarshal(body, &st) == nil && st.Kind == "Status" && (st.APIVersion == "" || st.APIVersion == "v1") &&
			st.Status == metav1.StatusFailure {
			return &apierrors.StatusError{ErrStatus: st}
		}
	}
	message := "unknown"
	if a.contentType == "" || (mediaOK && strings.HasPrefix(media, "text/")) {
		text := a.body
		if len(text) > maxErrorText {
			text = text[:maxErrorText]
		}
		message = strings.TrimSpace(string(text))
	}
	return apierrors.NewGenericServerResponse(a.status, http.MethodPost, schema.GroupResource{}, "", message, 0, true)
}
