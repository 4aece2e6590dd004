package e2e

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestAuditLogFlushedOnSIGTERM runs kapi with a batch-mode audit log whose batches
// never fill nor time out: the events of the requests must still be in the file
// once SIGTERM stopped the server. A protobuf client's objects are recorded as JSON.
func TestAuditLogFlushedOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(`apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: None
  nonResourceURLs: ["/readyz*", "/healthz*", "/livez*"]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
  omitManagedFields: true
`), 0o600); err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(dir, "logs", "audit.log")
	s := startKapiWithArgs(t, filepath.Join(dir, "data"), "--audit-policy-file", policy, "--audit-log-path", logPath,
		"--audit-log-mode", "batch", "--audit-log-batch-max-size", "100000", "--audit-log-batch-max-wait", "1h")
	cfg := s.restConfig(t)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := ctx(t, time.Minute)
	if _, err := cs.CoreV1().ConfigMaps("default").Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "audited"},
		Data: map[string]string{"k": "v"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps("default").Get(c, "audited", metav1.GetOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	f, err := os.Open(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type event struct {
		Verb           string          `json:"verb"`
		Stage          string          `json:"stage"`
		RequestObject  json.RawMessage `json:"requestObject"`
		ResponseObject json.RawMessage `json:"responseObject"`
		ObjectRef      struct{ Name string }
	}
	got := map[string]event{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var e event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit line %q: %v", sc.Text(), err)
		}
		if e.Stage == "RequestReceived" {
			t.Errorf("an omitted stage was logged: %s", sc.Text())
		}
		if e.ObjectRef.Name == "audited" {
			got[e.Verb] = e
		}
	}
	for _, verb := range []string{"create", "get"} {
		e, ok := got[verb]
		if !ok {
			t.Fatalf("no %s event in the log after SIGTERM", verb)
		}
		if e.ObjectRef.Name != "audited" || !strings.Contains(string(e.ResponseObject), `"kind":"ConfigMap"`) ||
			strings.Contains(string(e.ResponseObject), "managedFields") {
			t.Errorf("%s event: objectRef %q responseObject %s", verb, e.ObjectRef.Name, e.ResponseObject)
		}
	}
	if !strings.Contains(string(got["create"].RequestObject), `"name":"audited"`) {
		t.Errorf("create requestObject %s", got["create"].RequestObject)
	}
}
