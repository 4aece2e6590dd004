package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

const e2ePolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: None
  nonResourceURLs: ["/healthz*", "/readyz*", "/livez*"]
- level: Metadata
  resources: [{group: "", resources: ["secrets"]}]
- level: Request
  namespaces: ["req"]
- level: RequestResponse
  namespaces: ["quiet"]
  omitStages: ["RequestReceived"]
- level: RequestResponse
  resources: [{group: "", resources: ["configmaps"]}]
  omitManagedFields: true
- level: RequestResponse
  resources: [{group: "", resources: ["serviceaccounts"]}]
- level: Metadata
`

// webhookSink collects the EventLists an audit webhook receives.
type webhookSink struct {
	mu     sync.Mutex
	events []audit.Event
}

func (s *webhookSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var list audit.EventList
	if err := json.NewDecoder(r.Body).Decode(&list); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.events = append(s.events, list.Items...)
	s.mu.Unlock()
}

func (s *webhookSink) ids() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := map[string]int{}
	for _, e := range s.events {
		m[string(e.AuditID)]++
	}
	return m
}

func webhookKubeconfig(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewTLSServer(h)
	t.Cleanup(srv.Close)
	cfg := clientcmdapi.NewConfig()
	cfg.Clusters["sink"] = &clientcmdapi.Cluster{Server: srv.URL + "/events",
		CertificateAuthorityData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})}
	cfg.AuthInfos["apiserver"] = &clientcmdapi.AuthInfo{}
	cfg.Contexts["default"] = &clientcmdapi.Context{Cluster: "sink", AuthInfo: "apiserver"}
	cfg.CurrentContext = "default"
	path := filepath.Join(t.TempDir(), "audit-webhook.kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// auditLog reads the JSON audit log back, by audit ID.
func auditLog(t *testing.T, path string) map[string][]audit.Event {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	byID := map[string][]audit.Event{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var e audit.Event
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit log line %q: %v", sc.Text(), err)
		}
		byID[string(e.AuditID)] = append(byID[string(e.AuditID)], e)
	}
	return byID
}

// waitEvents polls the log until id has n events.
func waitEvents(t *testing.T, path, id string, n int) []audit.Event {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		evs := auditLog(t, path)[id]
		if len(evs) >= n || time.Now().After(deadline) {
			return evs
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func stages(evs []audit.Event) string {
	var s []string
	for _, e := range evs {
		s = append(s, string(e.Stage))
	}
	return strings.Join(s, ",")
}

func TestAuditEvents(t *testing.T) {
	dir := t.TempDir()
	logPath := filepath.Join(dir, "audit", "audit.log")
	policy := writeAuthnFile(t, "policy.yaml", []byte(e2ePolicy))
	tokens := writeAuthnFile(t, "tokens.csv", []byte("alice-token,alice,1001,\"dev\"\n"))
	sink := &webhookSink{}
	hook := webhookKubeconfig(t, sink)
	var sent []string
	// Registered before the server's own cleanup, so it runs after shutdown: a batch
	// that never filled must still reach the webhook.
	t.Cleanup(func() {
		got := sink.ids()
		for _, id := range sent {
			if got[id] == 0 {
				t.Errorf("webhook never received the events of %s", id)
			}
		}
	})
	in := servertest.StartWith(t, func(c *server.Config) {
		c.TokenAuthFile = tokens
		c.AuditPolicyFile = policy
		c.AuditLogPath = logPath
		c.AuditWebhookConfigFile = hook
		c.AuditWebhookBatch = audit.BatchConfig{BufferSize: 1000, MaxBatchSize: 10000, MaxBatchWait: time.Hour}
	})
	admin := in.HTTPClient(t)
	anon := in.AnonymousClient(t)
	do := func(c *http.Client, id, method, path, body string, header map[string]string) int {
		t.Helper()
		req, err := http.NewRequest(method, in.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Audit-ID", id)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "audit-test")
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, resp.Body)
		if resp.Header.Get("Audit-ID") != id {
			t.Errorf("Audit-ID %q, want %q", resp.Header.Get("Audit-ID"), id)
		}
		sent = append(sent, id)
		return resp.StatusCode
	}
	for _, ns := range []string{"req", "quiet"} {
		if code := do(admin, "ns-"+ns, "POST", "/api/v1/namespaces", `{"metadata":{"name":"`+ns+`"}}`, nil); code != 201 {
			t.Fatalf("creating namespace %s: %d", ns, code)
		}
	}

	// The server records managedFields on create: what omitManagedFields removes below.
	probe, err := admin.Post(in.URL+"/api/v1/namespaces/default/configmaps?fieldManager=audit", "application/json",
		strings.NewReader(`{"metadata":{"name":"probe"},"data":{"k":"v"}}`))
	if err != nil {
		t.Fatal(err)
	}
	probeBody, _ := io.ReadAll(probe.Body)
	probe.Body.Close()
	if !bytes.Contains(probeBody, []byte(`"managedFields"`)) {
		t.Fatalf("created configmap has no managedFields: %s", probeBody)
	}

	type check func(t *testing.T, evs []audit.Event)
	tests := []struct {
		name, method, path, body string
		client                   *http.Client
		header                   map[string]string
		wantCode                 int
		wantStages               string
		checks                   []check
	}{
		{name: "create at RequestResponse without managedFields", method: "POST", path: "/api/v1/namespaces/default/configmaps?fieldManager=audit",
			body: `{"metadata":{"name":"cm1"},"data":{"k":"v"}}`, client: admin, wantCode: 201, wantStages: "RequestReceived,ResponseComplete",
			checks: []check{user("kubernetes-admin", ""), level(audit.LevelRequestResponse), verb("create"), code(201),
				objectRef("configmaps", "default", "cm1"), hasRequestObject(true), hasResponseObject(true), noManagedFields,
				annotation("authorization.k8s.io/decision", "allow"), firstStageHasNoBodies, sourceAndAgent}},
		{name: "get", method: "GET", path: "/api/v1/namespaces/default/configmaps/cm1", client: admin, wantCode: 200,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{verb("get"), hasRequestObject(false), hasResponseObject(true), noManagedFields}},
		{name: "list", method: "GET", path: "/api/v1/namespaces/default/configmaps", client: admin, wantCode: 200,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{verb("list"), hasResponseObject(true), noManagedFields}},
		{name: "watch is long-running", method: "GET", path: "/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1", client: admin, wantCode: 200,
			wantStages: "RequestReceived,ResponseStarted,ResponseComplete", checks: []check{verb("watch"), hasResponseObject(false), code(200)}},
		{name: "delete", method: "DELETE", path: "/api/v1/namespaces/default/configmaps/cm1", client: admin, wantCode: 200,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{verb("delete"), code(200), objectRef("configmaps", "default", "cm1")}},
		{name: "managedFields kept without omitManagedFields", method: "POST", path: "/api/v1/namespaces/default/serviceaccounts?fieldManager=audit",
			body: `{"metadata":{"name":"sa1","labels":{"a":"b"}}}`, client: admin, wantCode: 201, wantStages: "RequestReceived,ResponseComplete",
			checks: []check{hasResponseObject(true), managedFieldsInResponse}},
		{name: "Metadata level has no bodies", method: "POST", path: "/api/v1/namespaces/default/secrets",
			body: `{"metadata":{"name":"s1"},"stringData":{"password":"hunter2"}}`, client: admin, wantCode: 201,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{level(audit.LevelMetadata), hasRequestObject(false), hasResponseObject(false),
				objectRef("secrets", "default", "s1"), uidRecorded(false)}},
		{name: "Request level has only the request", method: "POST", path: "/api/v1/namespaces/req/configmaps",
			body: `{"metadata":{"name":"cm2"}}`, client: admin, wantCode: 201, wantStages: "RequestReceived,ResponseComplete",
			checks: []check{level(audit.LevelRequest), hasRequestObject(true), hasResponseObject(false)}},
		{name: "omitted stage", method: "GET", path: "/api/v1/namespaces/quiet/configmaps", client: admin, wantCode: 200,
			wantStages: "ResponseComplete"},
		{name: "failed authentication", method: "GET", path: "/api/v1/namespaces/default/secrets", client: anon,
			header: map[string]string{"Authorization": "Bearer not-a-token"}, wantCode: 401, wantStages: "ResponseStarted",
			checks: []check{user("", ""), code(401), status("Failure", "Unauthorized", "Unauthorized"), objectRef("secrets", "default", "")}},
		{name: "forbidden", method: "GET", path: "/api/v1/namespaces/default/secrets/s1", client: anon,
			header: map[string]string{"Authorization": "Bearer alice-token"}, wantCode: 403, wantStages: "RequestReceived,ResponseComplete",
			checks: []check{user("alice", ""), code(403), status("Failure", "Forbidden", `secrets "s1" is forbidden`),
				annotation("authorization.k8s.io/decision", "forbid")}},
		{name: "impersonated", method: "GET", path: "/api/v1/namespaces/default/configmaps", client: admin,
			header: map[string]string{"Impersonate-User": "bob"}, wantCode: 403, wantStages: "RequestReceived,ResponseComplete",
			checks: []check{user("kubernetes-admin", "bob"), code(403)}},
		{name: "patch records the patch", method: "PATCH", path: "/api/v1/namespaces/req/configmaps/cm2",
			body: `{"data":{"p":"q"}}`, client: admin, header: map[string]string{"Content-Type": "application/merge-patch+json"}, wantCode: 200,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{verb("patch"), requestObject(`{"data":{"p":"q"}}`)}},
		{name: "impersonation refused", method: "GET", path: "/api/v1/namespaces/default/configmaps", client: anon,
			header: map[string]string{"Authorization": "Bearer alice-token", "Impersonate-User": "bob"}, wantCode: 403,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{user("alice", ""), code(403), status("Failure", "Forbidden", `users "bob" is forbidden`)}},
		{name: "non-resource request", method: "GET", path: "/version", client: admin, wantCode: 200,
			wantStages: "RequestReceived,ResponseComplete", checks: []check{verb("get"), noObjectRef, level(audit.LevelMetadata)}},
		{name: "not audited", method: "GET", path: "/healthz", client: admin, wantCode: 200, wantStages: ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := fmt.Sprintf("audit-e2e-%d", i)
			if got := do(tt.client, id, tt.method, tt.path, tt.body, tt.header); got != tt.wantCode {
				t.Fatalf("status %d, want %d", got, tt.wantCode)
			}
			n := strings.Count(tt.wantStages, ",") + 1
			if tt.wantStages == "" {
				n = 0
				time.Sleep(50 * time.Millisecond)
			}
			evs := waitEvents(t, logPath, id, n)
			if got := stages(evs); got != tt.wantStages {
				t.Fatalf("stages %q, want %q", got, tt.wantStages)
			}
			for _, c := range tt.checks {
				c(t, evs)
			}
		})
	}
	// The last case was not audited at all.
	sent = sent[:len(sent)-1]

	resp, err := admin.Get(in.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"apiserver_audit_event_total ", `apiserver_audit_level_total{level="Metadata"}`, `apiserver_audit_level_total{level="None"}`} {
		if !bytes.Contains(metrics, []byte(want)) || bytes.Contains(metrics, []byte("apiserver_audit_event_total 0\n")) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func last(evs []audit.Event) audit.Event { return evs[len(evs)-1] }

func user(name, impersonated string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		e := last(evs)
		if e.User.Username != name {
			t.Errorf("user %q, want %q", e.User.Username, name)
		}
		got := ""
		if e.ImpersonatedUser != nil {
			got = e.ImpersonatedUser.Username
		}
		if got != impersonated {
			t.Errorf("impersonatedUser %q, want %q", got, impersonated)
		}
	}
}

func level(l audit.Level) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		for _, e := range evs {
			if e.Level != l {
				t.Errorf("level %s, want %s", e.Level, l)
			}
		}
	}
}

func verb(v string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if e := last(evs); e.Verb != v {
			t.Errorf("verb %q, want %q", e.Verb, v)
		}
	}
}

func code(c int32) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if e := last(evs); e.ResponseStatus == nil || e.ResponseStatus.Code != c {
			t.Errorf("responseStatus %+v, want code %d", e.ResponseStatus, c)
		}
	}
}

func status(st, reason, message string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		s := last(evs).ResponseStatus
		if s == nil || s.Status != st || string(s.Reason) != reason || !strings.HasPrefix(s.Message, message) {
			t.Errorf("responseStatus %+v, want %s/%s/%q", s, st, reason, message)
		}
	}
}

func objectRef(resource, ns, name string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		r := last(evs).ObjectRef
		if r == nil || r.Resource != resource || r.Namespace != ns || r.Name != name || r.APIVersion != "v1" {
			t.Errorf("objectRef %+v, want %s %s/%s", r, resource, ns, name)
		}
	}
}

func noObjectRef(t *testing.T, evs []audit.Event) {
	if r := last(evs).ObjectRef; r != nil {
		t.Errorf("objectRef %+v for a non-resource request", r)
	}
}

func uidRecorded(want bool) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if got := last(evs).ObjectRef.UID != ""; got != want {
			t.Errorf("objectRef.uid recorded %v, want %v", got, want)
		}
	}
}

func hasRequestObject(want bool) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if got := len(last(evs).RequestObject) > 0; got != want {
			t.Errorf("requestObject present %v, want %v", got, want)
		}
	}
}

func requestObject(want string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if got := string(last(evs).RequestObject); got != want {
			t.Errorf("requestObject %s, want %s", got, want)
		}
	}
}

func hasResponseObject(want bool) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if got := len(last(evs).ResponseObject) > 0; got != want {
			t.Errorf("responseObject present %v, want %v", got, want)
		}
	}
}

func noManagedFields(t *testing.T, evs []audit.Event) {
	for _, e := range evs {
		if bytes.Contains(e.ResponseObject, []byte("managedFields")) || bytes.Contains(e.RequestObject, []byte("managedFields")) {
			t.Errorf("managedFields recorded with omitManagedFields: %s", e.ResponseObject)
		}
	}
}

func managedFieldsInResponse(t *testing.T, evs []audit.Event) {
	if !bytes.Contains(last(evs).ResponseObject, []byte(`"managedFields"`)) {
		t.Errorf("responseObject lacks managedFields: %s", last(evs).ResponseObject)
	}
}

func annotation(k, v string) func(*testing.T, []audit.Event) {
	return func(t *testing.T, evs []audit.Event) {
		if got, ok := last(evs).Annotations[k]; !ok || got != v {
			t.Errorf("annotation %s=%q, want %q (all: %v)", k, got, v, last(evs).Annotations)
		}
	}
}

func firstStageHasNoBodies(t *testing.T, evs []audit.Event) {
	e := evs[0]
	if e.Stage != audit.StageRequestReceived || len(e.RequestObject) > 0 || len(e.ResponseObject) > 0 || e.ResponseStatus != nil {
		t.Errorf("RequestReceived event carries response data: %+v", e)
	}
	if !e.StageTimestamp.Equal(&e.RequestReceivedTimestamp) {
		t.Errorf("RequestReceived stageTimestamp %v != requestReceivedTimestamp %v", e.StageTimestamp, e.RequestReceivedTimestamp)
	}
}

func sourceAndAgent(t *testing.T, evs []audit.Event) {
	e := last(evs)
	if len(e.SourceIPs) == 0 || e.SourceIPs[0] != "127.0.0.1" || e.UserAgent != "audit-test" || !strings.HasPrefix(e.RequestURI, "/api/v1/namespaces/default/configmaps?") {
		t.Errorf("sourceIPs %v userAgent %q requestURI %q", e.SourceIPs, e.UserAgent, e.RequestURI)
	}
}

func TestAuditBlockingStrictRejectsUnrecordedRequests(t *testing.T) {
	policy := writeAuthnFile(t, "policy.yaml", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  nonResourceURLs: [\"/readyz*\"]\n- level: Metadata\n"))
	var failing atomicBool
	hook := webhookKubeconfig(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if failing.get() {
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AuditPolicyFile = policy
		c.AuditWebhookConfigFile = hook
		c.AuditWebhookMode = audit.ModeBlockingStrict
		c.AuditWebhookInitialBackoff = time.Millisecond
	})
	c := in.HTTPClient(t)
	get := func() (int, string) {
		resp, err := c.Get(in.URL + "/api/v1/namespaces")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != 200 {
		t.Fatalf("with a working webhook: %d %s", code, body)
	}
	failing.set(true)
	code, body := get()
	if code != 500 || !strings.Contains(body, `Internal Server Error: "/api/v1/namespaces": failed to store audit event`) {
		t.Fatalf("with a failing webhook: %d %q", code, body)
	}
}

type atomicBool struct {
	mu sync.Mutex
	v  bool
}

func (b *atomicBool) get() bool { b.mu.Lock(); defer b.mu.Unlock(); return b.v }
func (b *atomicBool) set(v bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.v = v
}

func TestAuditOptionErrors(t *testing.T) {
	policy := writeAuthnFile(t, "policy.yaml", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"))
	badPolicy := writeAuthnFile(t, "bad.yaml", []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Loud\n"))
	log := filepath.Join(t.TempDir(), "audit.log")
	tests := []struct {
		name    string
		set     func(*server.Config)
		wantErr string
	}{
		{"bad log mode", func(c *server.Config) { c.AuditLogMode = "eventually" }, `invalid audit log mode eventually, allowed modes are "batch,blocking,blocking-strict"`},
		{"bad format", func(c *server.Config) { c.AuditLogFormat = "xml" }, "invalid audit log format xml"},
		{"negative maxage", func(c *server.Config) { c.AuditLogMaxAge = -1 }, "--audit-log-maxage -1 can't be a negative number"},
		{"batch without buffer", func(c *server.Config) {
			c.AuditLogMode = audit.ModeBatch
			c.AuditLogBatch = audit.BatchConfig{MaxBatchSize: 1, BufferSize: -1}
		}, "invalid audit batch log buffer size -1, must be a positive number"},
		{"bad version", func(c *server.Config) { c.AuditLogVersion = "audit.k8s.io/v1beta1" }, "invalid group version"},
		{"invalid policy", func(c *server.Config) { c.AuditPolicyFile = badPolicy }, `rules[0].level: Unsupported value: "Loud"`},
		{"missing policy", func(c *server.Config) { c.AuditPolicyFile = log + ".nope" }, "failed to read file path"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), EtcdServers: []string{"http://127.0.0.1:1"}}
			cfg.AuditPolicyFile, cfg.AuditLogPath = policy, log
			tt.set(&cfg)
			_, err := server.New(t.Context(), cfg)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}
