package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// sample is one line of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// parseMetrics reads the Prometheus text exposition format (the subset client_golang
// writes: no timestamps, label values without embedded quotes or commas).
func parseMetrics(t *testing.T, body string) []sample {
	t.Helper()
	var out []sample
	sc := bufio.NewScanner(strings.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		sp := strings.LastIndexByte(line, ' ')
		if sp < 0 {
			t.Fatalf("bad metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[sp+1:], 64)
		if err != nil {
			t.Fatalf("bad value in %q: %v", line, err)
		}
		s := sample{labels: map[string]string{}, value: v}
		head := line[:sp]
		name, rest, hasLabels := strings.Cut(head, "{")
		s.name = name
		if hasLabels {
			for _, pair := range strings.Split(strings.TrimSuffix(rest, "}"), ",") {
				if pair == "" {
					continue
				}
				k, val, _ := strings.Cut(pair, "=")
				s.labels[k] = strings.Trim(val, `"`)
			}
		}
		out = append(out, s)
	}
	return out
}

// find returns the sum of the samples called name whose labels include want, and
// whether any matched.
func find(samples []sample, name string, want map[string]string) (float64, bool) {
	var sum float64
	found := false
next:
	for _, s := range samples {
		if s.name != name {
			continue
		}
		for k, v := range want {
			if s.labels[k] != v {
				continue next
			}
		}
		sum += s.value
		found = true
	}
	return sum, found
}

// tokenClient sends requests with a bearer token of the token file.
type tokenClient struct {
	c     *http.Client
	base  string
	token string
}

func (tc tokenClient) do(t *testing.T, method, path, contentType, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, tc.base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tc.token != "" {
		req.Header.Set("Authorization", "Bearer "+tc.token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := tc.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// startObservable runs kapi with two token users: "monitor" in system:monitoring and
// "bob" with no permissions.
func startObservable(t *testing.T, configure func(*server.Config)) (*servertest.Instance, tokenClient, tokenClient, tokenClient) {
	t.Helper()
	tokens := filepath.Join(t.TempDir(), "tokens.csv")
	if err := os.WriteFile(tokens, []byte("monitor-token,monitor,1,\"system:monitoring\"\nbob-token,bob,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.TokenAuthFile = tokens
		if configure != nil {
			configure(c)
		}
	})
	anon := in.AnonymousClient(t)
	admin := tokenClient{c: in.HTTPClient(t), base: in.URL}
	return in, admin, tokenClient{c: anon, base: in.URL, token: "monitor-token"}, tokenClient{c: anon, base: in.URL, token: "bob-token"}
}

func scrape(t *testing.T, monitor tokenClient) []sample {
	t.Helper()
	code, body := monitor.do(t, http.MethodGet, "/metrics", "", "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics as system:monitoring = %d: %s", code, body)
	}
	return parseMetrics(t, body)
}

func TestMetricsRequestSeries(t *testing.T) {
	_, admin, monitor, _ := startObservable(t, nil)
	const cm = `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"a":"b"}}`
	before := scrape(t, monitor)

	requests := []struct {
		method, path, contentType, body string
		wantCode                        int
	}{
		{"GET", "/api/v1/namespaces/default/pods/missing", "", "", 404},
		{"GET", "/api/v1/namespaces/default/configmaps", "", "", 200},
		{"GET", "/api/v1/configmaps", "", "", 200},
		{"GET", "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=1", "", "", 200},
		{"PATCH", "/api/v1/namespaces/default/configmaps/applied?fieldManager=test", "application/apply-patch+yaml", fmt.Sprintf(cm, "applied"), 201},
		{"PATCH", "/api/v1/namespaces/default/configmaps/applied", "application/merge-patch+json", `{"data":{"c":"d"}}`, 200},
		{"POST", "/api/v1/namespaces/default/configmaps?dryRun=All", "application/json", fmt.Sprintf(cm, "dry"), 201},
		{"POST", "/api/v1/namespaces/default/configmaps", "application/json", fmt.Sprintf(cm, "real"), 201},
		{"DELETE", "/api/v1/namespaces/default/configmaps/real", "", "", 200},
		{"GET", "/healthz", "", "", 200},
	}
	for _, r := range requests {
		if code, body := admin.do(t, r.method, r.path, r.contentType, r.body); code != r.wantCode {
			t.Fatalf("%s %s = %d, want %d: %s", r.method, r.path, code, r.wantCode, body)
		}
	}
	after := scrape(t, monitor)

	res := func(verb, scope, code, dryRun string) map[string]string {
		return map[string]string{"verb": verb, "group": "", "version": "v1", "resource": "configmaps", "subresource": "",
			"scope": scope, "component": "apiserver", "code": code, "dry_run": dryRun}
	}
	counters := []struct {
		name   string
		labels map[string]string
	}{
		{"404 GET", map[string]string{"verb": "GET", "resource": "pods", "scope": "resource", "code": "404", "component": "apiserver", "dry_run": ""}},
		{"namespaced LIST", res("LIST", "namespace", "200", "")},
		{"cluster LIST", res("LIST", "cluster", "200", "")},
		{"WATCH", res("WATCH", "namespace", "200", "")},
		{"APPLY", res("APPLY", "resource", "201", "")},
		{"PATCH", res("PATCH", "resource", "200", "")},
		{"dry-run POST", res("POST", "resource", "201", "All")},
		{"POST", res("POST", "resource", "201", "")},
		{"DELETE", res("DELETE", "resource", "200", "")},
		{"healthz", map[string]string{"verb": "GET", "subresource": "/healthz", "component": "", "code": "200", "resource": "", "scope": ""}},
	}
	for _, c := range counters {
		t.Run(c.name, func(t *testing.T) {
			b, _ := find(before, "apiserver_request_total", c.labels)
			a, ok := find(after, "apiserver_request_total", c.labels)
			if !ok || a-b < 1 {
				t.Fatalf("apiserver_request_total%v went from %v to %v (found %v)", c.labels, b, a, ok)
			}
			hl := map[string]string{}
			for k, v := range c.labels {
				if k != "code" {
					hl[k] = v
				}
			}
			if n, _ := find(after, "apiserver_request_duration_seconds_count", hl); n < 1 {
				t.Fatalf("no apiserver_request_duration_seconds_count%v", hl)
			}
			hl["le"] = "+Inf"
			if n, _ := find(after, "apiserver_request_duration_seconds_bucket", hl); n < 1 {
				t.Fatalf("no +Inf bucket for %v", hl)
			}
		})
	}

	t.Run("upstream duration buckets", func(t *testing.T) {
		want := []string{"0.005", "0.025", "0.05", "0.1", "0.2", "0.4", "0.6", "0.8", "1", "1.25", "1.5", "2", "3", "4", "5", "6", "8", "10", "15", "20", "30", "45", "60", "+Inf"}
		for _, le := range want {
			if _, ok := find(after, "apiserver_request_duration_seconds_bucket", map[string]string{"verb": "LIST", "resource": "configmaps", "scope": "namespace", "le": le}); !ok {
				t.Errorf("bucket le=%s missing", le)
			}
		}
	})
	t.Run("SLI latency for requests that are not long-running", func(t *testing.T) {
		if n, _ := find(after, "apiserver_request_sli_duration_seconds_count", map[string]string{"verb": "LIST", "resource": "configmaps", "scope": "namespace"}); n < 1 {
			t.Error("no apiserver_request_sli_duration_seconds for LIST")
		}
		if _, ok := find(after, "apiserver_request_sli_duration_seconds_bucket", map[string]string{"verb": "POST", "resource": "configmaps", "le": "0.05"}); !ok {
			t.Error("no SLI bucket le=0.05 for POST (upstream's SLI buckets start there)")
		}
		if _, ok := find(after, "apiserver_request_sli_duration_seconds_count", map[string]string{"verb": "WATCH"}); ok {
			t.Error("SLI latency recorded for a WATCH")
		}
	})
	t.Run("build info and client certificates", func(t *testing.T) {
		if v, ok := find(after, "kubernetes_build_info", map[string]string{"git_version": server.Version.GitVersion, "major": "1"}); !ok || v != 1 {
			t.Errorf("kubernetes_build_info = %v (found %v)", v, ok)
		}
		// The admin authenticates with a client certificate.
		if n, _ := find(after, "apiserver_client_certificate_expiration_seconds_count", nil); n < 1 {
			t.Error("no apiserver_client_certificate_expiration_seconds observation")
		}
		if n, _ := find(after, "apiserver_client_certificate_expiration_seconds_bucket", map[string]string{"le": "1800"}); n != 0 {
			t.Errorf("%v certificates expire within 30 minutes", n)
		}
	})
	t.Run("response sizes for reads only", func(t *testing.T) {
		if _, ok := find(after, "apiserver_response_sizes_count", map[string]string{"verb": "LIST", "resource": "configmaps"}); !ok {
			t.Error("no response size for LIST")
		}
		if _, ok := find(after, "apiserver_response_sizes_count", map[string]string{"verb": "POST"}); ok {
			t.Error("response size recorded for POST")
		}
	})
	t.Run("storage metrics move after writes", func(t *testing.T) {
		for _, op := range []string{"create", "update", "delete"} {
			l := map[string]string{"operation": op, "group": "", "resource": "configmaps"}
			b, _ := find(before, "etcd_requests_total", l)
			a, _ := find(after, "etcd_requests_total", l)
			if a <= b {
				t.Errorf("etcd_requests_total%v went from %v to %v", l, b, a)
			}
			if n, _ := find(after, "etcd_request_duration_seconds_count", l); n < 1 {
				t.Errorf("no etcd_request_duration_seconds%v", l)
			}
		}
		if a, ok := find(after, "apiserver_storage_list_total", map[string]string{"group": "", "resource": "configmaps", "storage": "watchcache"}); !ok || a < 1 {
			t.Errorf("apiserver_storage_list_total for the watch cache = %v", a)
		}
	})
	t.Run("object counts", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			s := scrape(t, monitor)
			n, _ := find(s, "apiserver_resource_objects", map[string]string{"group": "", "resource": "configmaps"})
			old, _ := find(s, "apiserver_storage_objects", map[string]string{"resource": "configmaps"})
			ns, _ := find(s, "apiserver_resource_objects", map[string]string{"group": "", "resource": "namespaces"})
			// kube-root-ca.crt may or may not exist: "applied" must be counted.
			if n >= 1 && old == n && ns >= 4 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("apiserver_resource_objects configmaps=%v storage_objects=%v namespaces=%v", n, old, ns)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
	t.Run("watch and runtime series present", func(t *testing.T) {
		for _, name := range []string{"apiserver_longrunning_requests", "apiserver_current_inflight_requests", "apiserver_registered_watchers",
			"apiserver_terminated_watchers_total", "process_resident_memory_bytes", "go_goroutines"} {
			if _, ok := find(after, name, nil); !ok {
				t.Errorf("%s missing", name)
			}
		}
		for _, kind := range []string{"readOnly", "mutating"} {
			if _, ok := find(after, "apiserver_current_inflight_requests", map[string]string{"request_kind": kind}); !ok {
				t.Errorf("apiserver_current_inflight_requests{request_kind=%q} missing", kind)
			}
		}
	})
}

func TestMetricsAndProfilingAuthorization(t *testing.T) {
	noProfiling := false
	tests := []struct {
		name      string
		profiling *bool
		user      string // "admin", "monitor", "bob", "anonymous"
		method    string
		path      string
		wantCode  int
	}{
		{"monitor reads metrics", nil, "monitor", "GET", "/metrics", 200},
		{"admin reads metrics", nil, "admin", "GET", "/metrics", 200},
		{"bob forbidden metrics", nil, "bob", "GET", "/metrics", 403},
		{"anonymous forbidden metrics", nil, "anonymous", "GET", "/metrics", 403},
		{"admin reads pprof", nil, "admin", "GET", "/debug/pprof/", 200},
		{"admin reads heap profile", nil, "admin", "GET", "/debug/pprof/heap?debug=1", 200},
		{"monitor forbidden pprof", nil, "monitor", "GET", "/debug/pprof/", 403},
		{"bob forbidden pprof", nil, "bob", "GET", "/debug/pprof/", 403},
		{"anonymous forbidden pprof", nil, "anonymous", "GET", "/debug/pprof/heap", 403},
		{"bob forbidden flags", nil, "bob", "PUT", "/debug/flags/v", 403},
		{"admin sets verbosity", nil, "admin", "PUT", "/debug/flags/v", 200},
		{"admin GET verbosity unsupported", nil, "admin", "GET", "/debug/flags/v", 406},
		{"no pprof without profiling", &noProfiling, "admin", "GET", "/debug/pprof/", 404},
		{"metrics without profiling", &noProfiling, "monitor", "GET", "/metrics", 200},
	}
	// The servers live as long as the whole test, not one case.
	servers := map[bool][4]tokenClient{}
	for _, profiling := range []bool{true, false} {
		_, admin, monitor, bob := startObservable(t, func(c *server.Config) { c.Profiling = &profiling })
		servers[profiling] = [4]tokenClient{admin, monitor, bob, {c: monitor.c, base: monitor.base}}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clients := servers[tc.profiling == nil || *tc.profiling]
			c := map[string]tokenClient{"admin": clients[0], "monitor": clients[1], "bob": clients[2], "anonymous": clients[3]}[tc.user]
			body := ""
			if tc.method == "PUT" {
				body = "2"
			}
			code, resp := c.do(t, tc.method, tc.path, "", body)
			if code != tc.wantCode {
				t.Fatalf("%s %s as %s = %d, want %d: %s", tc.method, tc.path, tc.user, code, tc.wantCode, resp)
			}
			if code == 403 && !strings.Contains(resp, `"reason":"Forbidden"`) {
				t.Fatalf("403 is not a Forbidden Status: %s", resp)
			}
		})
	}
}

func TestMetricsCardinality(t *testing.T) {
	// The built-in controllers' own requests would add series while the test counts.
	_, admin, monitor, _ := startObservable(t, func(c *server.Config) { c.Controllers = []string{} })
	// series returns every apiserver_ sample, keyed by name and labels (histograms
	// expose ~25 samples per series).
	series := func() map[string]bool {
		out := map[string]bool{}
		for _, s := range scrape(t, monitor) {
			if !strings.HasPrefix(s.name, "apiserver_") {
				continue
			}
			keys := make([]string, 0, len(s.labels))
			for k, v := range s.labels {
				keys = append(keys, k+"="+v)
			}
			sort.Strings(keys)
			out[s.name+"{"+strings.Join(keys, ",")+"}"] = true
		}
		return out
	}
	countRequests := func(m map[string]bool) (n int) {
		for k := range m {
			if strings.HasPrefix(k, "apiserver_request_total{") {
				n++
			}
		}
		return n
	}
	admin.do(t, "GET", "/api/v1/namespaces/default/configmaps", "", "")
	before := series()
	paths := []string{"/api/v1/foos%d", "/apis/x%d.example.com/v1/things", "/random/%d", "/api/v1/namespaces/default/configmaps/c/junk%d",
		"/api/v1/namespaces/ns%d/configmaps/name%d", "/apis/apps/v%d/deployments"}
	for i := range 1000 {
		p := paths[i%len(paths)]
		p = strings.ReplaceAll(p, "%d", strconv.Itoa(i))
		admin.do(t, "GET", p, "", "")
	}
	after := series()
	// The only new request series is the 404 GET of configmaps (names and namespaces
	// are not labels); unknown resources, groups, versions, subresources and paths add
	// none. Series that do not depend on the path (per-priority-level flow-control
	// samples of the admin's first queued request, say) may appear once, but no label
	// may carry a path, a name or a namespace.
	var added []string
	for k := range after {
		if !before[k] {
			added = append(added, k)
		}
	}
	sort.Strings(added)
	if countRequests(after)-countRequests(before) > 1 || len(added) > 120 {
		t.Fatalf("1000 requests to unknown paths grew apiserver_request_total from %d to %d series and apiserver_ samples from %d to %d; new:\n%s",
			countRequests(before), countRequests(after), len(before), len(after), strings.Join(added, "\n"))
	}
	for _, k := range added {
		for _, bad := range []string{"foos", "example.com", "random", "junk", "name1", "ns1", "/v1"} {
			if strings.Contains(k, bad) {
				t.Errorf("series %s carries part of a request path", k)
			}
		}
	}
}
