package conversion

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// FuzzConversionResponse feeds arbitrary webhook answers to the response decoder
// and the checks of the converted objects: they must fail cleanly, never panic.
func FuzzConversionResponse(f *testing.F) {
	seeds := []struct {
		status      int
		contentType string
		body        string
	}{
		{200, "application/json", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","response":{"uid":"u","result":{"status":"Success"},"convertedObjects":[{"apiVersion":"stable.example.com/v2","kind":"Widget","metadata":{"name":"a","namespace":"default","uid":"uid-a","labels":{"x":"y"}}}]}}`},
		{200, "application/json", `{"apiVersion":"apiextensions.k8s.io/v1","kind":"ConversionReview","response":{"uid":"u","result":{"status":"Success"},"convertedObjects":[null,{"metadata":7},{"apiVersion":"stable.example.com/v2","kind":"Widget","metadata":{"labels":{"x":1}}}]}}`},
		{200, "application/json", `{"apiVersion":"apiextensions.k8s.io/v1beta1","kind":"ConversionReview","response":{"result":{"status":"Failure","message":"no"}}}`},
		{200, "application/yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: ConversionReview\nresponse: {uid: u}\n"},
		{200, "text/plain", "hello"},
		{200, "", ""},
		{200, "bad/;;", "{}"},
		{500, "text/plain", "boom"},
		{403, "application/json", `{"kind":"Status","apiVersion":"v1","status":"Failure","message":"no"}`},
		{302, "", ""},
		{200, "application/json", `{"kind":"Status","apiVersion":"v1"}`},
		{200, "application/json", `{"kind":"Nope","apiVersion":"x/y"}`},
		{200, "application/json", `[1,2`},
	}
	for _, s := range seeds {
		f.Add(s.status, s.contentType, []byte(s.body), "v1")
		f.Add(s.status, s.contentType, []byte(s.body), "v1beta1")
	}
	to := schema.GroupVersion{Group: "stable.example.com", Version: "v2"}
	f.Fuzz(func(t *testing.T, status int, contentType string, body []byte, version string) {
		objs, err := decodeResponse(&answer{status: status, contentType: contentType, body: body}, version, types.UID("u"))
		if err != nil {
			if objs != nil {
				t.Fatalf("objects %v returned with error %v", objs, err)
			}
			return
		}
		original := widget("v1", "a", "red")
		for i, raw := range objs {
			out, cerr := checkConverted(original, raw, to)
			if cerr != nil {
				if cerr.describe(original.GroupVersionKind(), i, len(objs) == 1) == nil {
					t.Fatal("described error is nil")
				}
				continue
			}
			if out.GetAPIVersion() != to.String() || out.GetName() != "a" || out.GetUID() != "uid-a" {
				t.Fatalf("accepted object %v", out.Object)
			}
		}
	})
}
