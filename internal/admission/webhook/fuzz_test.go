package webhook

import (
	"encoding/json"
	"testing"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionv1 "k8s.io/api/admission/v1"
)

// FuzzWebhookResponse feeds arbitrary webhook answers and patches through the
// checks and the patch application: nothing may panic.
func FuzzWebhookResponse(f *testing.F) {
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u","allowed":true,"patchType":"JSONPatch","patch":"W3sib3AiOiJhZGQiLCJwYXRoIjoiL2EiLCJ2YWx1ZSI6MX1d"}}`))
	f.Add([]byte(`{"apiVersion":"admission.k8s.io/v1beta1","kind":"AdmissionReview","response":{"uid":"u","allowed":false,"status":{"code":99}}}`))
	f.Add([]byte(`{"response":null}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var review admissionv1.AdmissionReview
		if err := json.Unmarshal(body, &review); err != nil {
			return
		}
		for _, v := range []string{"v1", "v1beta1"} {
			if err := checkResponse(&review, v, "u"); err != nil {
				continue
			}
			if !review.Response.Allowed {
				if err := denied("x", review.Response.Result); err.ErrStatus.Code < 400 {
					t.Fatalf("denial with code %d", err.ErrStatus.Code)
				}
			}
			if patch, err := jsonpatch.DecodePatch(review.Response.Patch); err == nil {
				_, _ = patch.Apply([]byte(`{"metadata":{"name":"a","labels":{"x":"y"}},"data":{"k":"v"}}`))
			}
		}
	})
}
