package audit

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// goldenEvent is the event of testdata/event.json, which is laid out as upstream's
// audit.k8s.io/v1 Event marshals.
func goldenEvent() *Event {
	e := NewEvent()
	e.Level = LevelRequestResponse
	e.AuditID = "8c4f1b2a-6d1e-4c0b-9d55-0e6f1f0d7f10"
	e.Stage = StageResponseComplete
	e.RequestURI = "/api/v1/namespaces/default/pods/p/status?fieldManager=kubectl"
	e.Verb = "update"
	e.User = authenticationv1.UserInfo{Username: "alice", UID: "42", Groups: []string{"dev", "system:authenticated"},
		Extra: map[string]authenticationv1.ExtraValue{"scopes": {"a", "b"}}}
	e.ImpersonatedUser = &authenticationv1.UserInfo{Username: "bob", Groups: []string{"system:authenticated"}}
	e.SourceIPs = []string{"10.0.0.7", "127.0.0.1"}
	e.UserAgent = "kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef"
	e.ObjectRef = &ObjectReference{Resource: "pods", Namespace: "default", Name: "p", UID: "0b5c0f2e-1111-2222-3333-444455556666",
		APIGroup: "apps", APIVersion: "v1", ResourceVersion: "1234", Subresource: "status"}
	e.ResponseStatus = &metav1.Status{Status: metav1.StatusFailure, Message: `pods "p" is forbidden`, Reason: metav1.StatusReasonForbidden,
		Details: &metav1.StatusDetails{Name: "p", Kind: "pods"}, Code: 403}
	e.RequestObject = json.RawMessage(`{"kind":"Pod","apiVersion":"v1"}`)
	e.ResponseObject = json.RawMessage(`{"kind":"Status","apiVersion":"v1"}`)
	e.RequestReceivedTimestamp = metav1.NewMicroTime(time.Date(2026, 11, 27, 3, 4, 5, 123456000, time.UTC))
	e.StageTimestamp = metav1.NewMicroTime(time.Date(2026, 11, 27, 3, 4, 5, 654321000, time.UTC))
	e.Annotations = map[string]string{"authorization.k8s.io/decision": "forbid", "authorization.k8s.io/reason": ""}
	return e
}

func TestEventJSONMatchesUpstreamLayout(t *testing.T) {
	want, err := os.ReadFile("testdata/event.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(goldenEvent())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, bytes.TrimSpace(want)) {
		t.Errorf("event JSON differs from the golden sample\n got: %s\nwant: %s", got, want)
	}
	gotKeys, wantKeys := topLevelKeys(t, got), topLevelKeys(t, want)
	if strings.Join(gotKeys, ",") != strings.Join(wantKeys, ",") {
		t.Errorf("keys %v, want %v", gotKeys, wantKeys)
	}
}

func TestEventDeepCopyIsIndependent(t *testing.T) {
	e := goldenEvent()
	c := e.DeepCopy()
	e.User.Groups[0] = "changed"
	e.ObjectRef.Name = "changed"
	e.ResponseStatus.Code = 1
	e.Annotations["x"] = "y"
	e.SourceIPs[0] = "changed"
	if c.User.Groups[0] != "dev" || c.ObjectRef.Name != "p" || c.ResponseStatus.Code != 403 || len(c.Annotations) != 2 || c.SourceIPs[0] != "10.0.0.7" {
		t.Errorf("copy shares state with the original: %+v", c)
	}
}

func TestLegacyLine(t *testing.T) {
	tests := []struct {
		name  string
		event func() *Event
		want  string
	}{
		{name: "full", event: goldenEvent,
			want: `2026-11-27T03:04:05.123456Z AUDIT: id="8c4f1b2a-6d1e-4c0b-9d55-0e6f1f0d7f10" stage="ResponseComplete" ip="10.0.0.7" method="update" user="alice" groups="\"dev\",\"system:authenticated\"" as="bob" asgroups="\"system:authenticated\"" user-agent="kubectl/v1.37.2 (linux/amd64) kubernetes/abcdef" namespace="default" uri="/api/v1/namespaces/default/pods/p/status?fieldManager=kubectl" response="403"` + "\n"},
		{name: "anonymous deferred", event: func() *Event {
			e := NewEvent()
			e.AuditID, e.Stage, e.Verb, e.RequestURI = "x", StageRequestReceived, "get", "/healthz"
			e.RequestReceivedTimestamp = metav1.NewMicroTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			return e
		}, want: `2026-01-02T03:04:05Z AUDIT: id="x" stage="RequestReceived" ip="<unknown>" method="get" user="<none>" groups="<none>" as="<self>" asgroups="<lookup>" user-agent="" namespace="<none>" uri="/healthz" response="<deferred>"` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := legacyLine(tt.event()); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func topLevelKeys(t *testing.T, doc []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(doc))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}
