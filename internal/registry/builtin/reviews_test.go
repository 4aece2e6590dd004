package builtin_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// TestReviewAnswers posts each review as curl would, without apiVersion and kind,
// and checks the answers as kube-apiserver v1.37.2 gave them: every one names its
// kind, and a token nobody accepts is reviewed with upstream's error.
func TestReviewAnswers(t *testing.T) {
	in := servertest.Start(t)
	c := in.HTTPClient(t)
	tests := []struct {
		path, body, kind, apiVersion string
		wantError                    string // status.error, for the TokenReview
	}{
		{"/apis/authentication.k8s.io/v1/selfsubjectreviews", `{}`, "SelfSubjectReview", "authentication.k8s.io/v1", ""},
		{"/apis/authentication.k8s.io/v1/tokenreviews", `{"spec":{"token":"garbage"}}`, "TokenReview", "authentication.k8s.io/v1", "invalid bearer token"},
		{"/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", `{"spec":{"nonResourceAttributes":{"path":"/x","verb":"get"}}}`, "SelfSubjectAccessReview", "authorization.k8s.io/v1", ""},
		{"/apis/authorization.k8s.io/v1/selfsubjectrulesreviews", `{"spec":{"namespace":"default"}}`, "SelfSubjectRulesReview", "authorization.k8s.io/v1", ""},
		{"/apis/authorization.k8s.io/v1/subjectaccessreviews", `{"spec":{"user":"a","nonResourceAttributes":{"path":"/x","verb":"get"}}}`, "SubjectAccessReview", "authorization.k8s.io/v1", ""},
		{"/apis/authorization.k8s.io/v1/namespaces/default/localsubjectaccessreviews",
			`{"metadata":{"namespace":"default"},"spec":{"user":"a","resourceAttributes":{"namespace":"default","verb":"get","resource":"pods"}}}`,
			"LocalSubjectAccessReview", "authorization.k8s.io/v1", ""},
	}
	for _, tc := range tests {
		t.Run(tc.kind, func(t *testing.T) {
			resp, err := c.Post(in.URL+tc.path, "application/json", bytes.NewReader([]byte(tc.body)))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var got struct {
				Kind, APIVersion string
				Status           struct{ Error string }
			}
			if err := json.NewDecoder(resp.Body).Decode(&got); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusCreated || got.Kind != tc.kind || got.APIVersion != tc.apiVersion || got.Status.Error != tc.wantError {
				t.Errorf("%d %+v, want 201 %s %s error %q", resp.StatusCode, got, tc.kind, tc.apiVersion, tc.wantError)
			}
		})
	}
}

// TestEventsV1InvalidKind checks that a refused events.k8s.io Event is named as
// upstream names it: by its internal type, the core Event.
func TestEventsV1InvalidKind(t *testing.T) {
	in := servertest.Start(t)
	c := in.HTTPClient(t)
	body := `{"metadata":{"name":"e"},"eventTime":"2026-01-01T00:00:00.000000Z","reportingController":"x","reportingInstance":"y",` +
		`"action":"a","reason":"r","type":"Bogus","regarding":{"kind":"Pod","name":"p","namespace":"default"}}`
	resp, err := c.Post(in.URL+"/apis/events.k8s.io/v1/namespaces/default/events", "application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st metav1.Status
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	const want = `Event "e" is invalid: type: Invalid value: "": has invalid value: Bogus`
	if resp.StatusCode != http.StatusUnprocessableEntity || st.Message != want || st.Details == nil || st.Details.Group != "" || st.Details.Kind != "Event" {
		t.Errorf("%d %q %+v, want 422 %q with kind Event and no group", resp.StatusCode, st.Message, st.Details, want)
	}
}
