package endpoints_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// applyRaw sends an apply patch and returns the code, the Warning headers and the body.
func (c *client) applyRaw(path, query, body string) (int, []string, map[string]any) {
	c.t.Helper()
	req, err := http.NewRequest("PATCH", c.base+path+"?"+query, bytes.NewReader([]byte(body)))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/apply-patch+yaml")
	resp, err := c.c.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, resp.Header.Values("Warning"), m
}

func (c *client) getJSON(path string) map[string]any {
	c.t.Helper()
	r := c.do("GET", path, "", jsonCT, nil)
	if r.code != 200 {
		c.t.Fatalf("GET %s: %d %s", path, r.code, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		c.t.Fatal(err)
	}
	return m
}

// createRecordsManagerAt creates body at path and checks manager's fields are
// recorded at apiVersion want.
func createRecordsManagerAt(t *testing.T, c *client, path, body, manager, want string) {
	t.Helper()
	r := c.do("POST", path, jsonCT, jsonCT, []byte(body))
	if r.code != 201 {
		t.Fatalf("create: %d %s", r.code, r.body)
	}
	var obj map[string]any
	if err := json.Unmarshal(r.body, &obj); err != nil {
		t.Fatal(err)
	}
	if got := versionOf(obj, manager); got != want {
		t.Errorf("%s recorded at %q, want %q (managedFields %v)", manager, got, want, managedFields(obj))
	}
}

// versionOf is the apiVersion of manager's managedFields entry in obj.
func versionOf(obj map[string]any, manager string) string {
	for _, e := range managedFields(obj) {
		if e["manager"] == manager {
			s, _ := e["apiVersion"].(string)
			return s
		}
	}
	return ""
}

func managedFields(obj map[string]any) []map[string]any {
	meta, _ := obj["metadata"].(map[string]any)
	list, _ := meta["managedFields"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		out = append(out, e.(map[string]any))
	}
	return out
}

func TestApplyFieldValidation(t *testing.T) {
	c := newClient(t)
	const base = "/api/v1/namespaces/t/configmaps/"
	dup := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\ndata:\n  a: \"1\"\n  a: \"2\"\n"
	unknown := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: NAME\nbogus: 1\ndata:\n  a: \"1\"\n"
	tests := []struct {
		name, mode, body string
		wantCode         int
		wantWarning      string
		wantMessage      string
	}{
		{name: "duplicate field strict", mode: "Strict", body: dup, wantCode: 400, wantMessage: `error strict decoding patch: error converting YAML to JSON: yaml: unmarshal errors:`},
		{name: "duplicate field warn", mode: "Warn", body: dup, wantCode: 201, wantWarning: `line 7: key \"a\" already set in map`},
		{name: "duplicate field default warns", mode: "", body: dup, wantCode: 201, wantWarning: `already set in map`},
		{name: "duplicate field ignore", mode: "Ignore", body: dup, wantCode: 201},
		{name: "unknown field fails in every mode", mode: "Ignore", body: unknown, wantCode: 500, wantMessage: ".bogus: field not declared in schema"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name := fmt.Sprintf("fv%d", i)
			q := "fieldManager=m"
			if tc.mode != "" {
				q += "&fieldValidation=" + tc.mode
			}
			code, warnings, body := c.applyRaw(base+name, q, strings.ReplaceAll(tc.body, "NAME", name))
			if code != tc.wantCode {
				t.Fatalf("code %d, want %d: %v", code, tc.wantCode, body)
			}
			got := strings.Join(warnings, "\n")
			if (tc.wantWarning == "") != (got == "") || !strings.Contains(got, tc.wantWarning) {
				t.Errorf("warnings %q, want %q", got, tc.wantWarning)
			}
			if tc.wantMessage != "" && !strings.Contains(fmt.Sprint(body["message"]), tc.wantMessage) {
				t.Errorf("message %q, want it to contain %q", body["message"], tc.wantMessage)
			}
			if code >= 300 {
				if r := c.do("GET", base+name, "", "", nil); r.code != 404 {
					t.Errorf("a refused apply stored the object: %d", r.code)
				}
			}
		})
	}
}

// TestManagedFieldsLifecycle covers the client-side to server-side apply upgrade, the
// reset of managedFields with [{}] and the cap on update managers.
func TestManagedFieldsLifecycle(t *testing.T) {
	c := newClient(t)
	const path = "/api/v1/namespaces/t/configmaps/"

	t.Run("server-side apply by kubectl keeps last-applied-configuration current", func(t *testing.T) {
		lastApplied := `{"apiVersion":"v1","data":{"a":"1","b":"2"},"kind":"ConfigMap","metadata":{"name":"csa","namespace":"t"}}`
		body := fmt.Sprintf(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"csa","annotations":{"kubectl.kubernetes.io/last-applied-configuration":%q}},"data":{"a":"1","b":"2"}}`, lastApplied)
		if r := c.do("POST", path[:len(path)-1]+"?fieldManager=kubectl-client-side-apply", jsonCT, "", []byte(body)); r.code != 201 {
			t.Fatalf("create: %d %s", r.code, r.body)
		}
		// b belongs to the client-side manager: the server keeps it (kubectl moves
		// that ownership itself before it applies server-side), and nothing conflicts.
		code, _, obj := c.applyRaw(path+"csa", "fieldManager=kubectl", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\ndata:\n  a: \"1\"\n")
		if code != 200 {
			t.Fatalf("apply: %d %v", code, obj)
		}
		ann := obj["metadata"].(map[string]any)["annotations"].(map[string]any)["kubectl.kubernetes.io/last-applied-configuration"]
		if s, _ := ann.(string); strings.Contains(s, `"b"`) || !strings.Contains(s, `"a"`) {
			t.Errorf("last-applied-configuration = %v, want it to follow the server-side apply", ann)
		}
	})

	t.Run("[{}] and [] strip managedFields, leaving them out keeps them", func(t *testing.T) {
		c.mustCreate(path[:len(path)-1], cm("reset", ""))
		obj := c.getJSON(path + "reset")
		if n := len(managedFields(obj)); n != 1 {
			t.Fatalf("managedFields after create: %d entries, want 1", n)
		}
		delete(obj["metadata"].(map[string]any), "managedFields")
		put, _ := json.Marshal(obj)
		if r := c.do("PUT", path+"reset", jsonCT, "", put); r.code != 200 || len(managedFields(c.getJSON(path+"reset"))) == 0 {
			t.Errorf("an update without managedFields dropped them (code %d)", r.code)
		}
		for _, reset := range []string{`[{}]`, `[]`} {
			r := c.do("PATCH", path+"reset", "application/merge-patch+json", "", []byte(`{"metadata":{"managedFields":`+reset+`}}`))
			if r.code != 200 {
				t.Fatalf("patch: %d %s", r.code, r.body)
			}
			if mf := managedFields(c.getJSON(path + "reset")); len(mf) != 0 {
				t.Errorf("managedFields after %s = %v, want none", reset, mf)
			}
			c.do("PATCH", path+"reset?fieldManager=again", "application/merge-patch+json", "", []byte(`{"data":{"x":"`+reset+`"}}`))
		}
	})

	t.Run("update managers are capped", func(t *testing.T) {
		c.mustCreate(path[:len(path)-1], cm("capped", ""))
		for i := range 15 {
			patch := fmt.Sprintf(`{"data":{"k%d":"v"}}`, i)
			if r := c.do("PATCH", path+"capped?fieldManager="+fmt.Sprintf("manager-%02d", i), "application/merge-patch+json", "", []byte(patch)); r.code != 200 {
				t.Fatalf("patch %d: %d %s", i, r.code, r.body)
			}
		}
		mf := managedFields(c.getJSON(path + "capped"))
		updates, ancient := 0, false
		for _, e := range mf {
			if e["operation"] == "Update" {
				updates++
			}
			if e["manager"] == "ancient-changes" {
				ancient = true
			}
		}
		if updates > 10 || !ancient {
			t.Errorf("%d Update entries (ancient-changes present: %v), want at most 10 with the oldest merged into ancient-changes", updates, ancient)
		}
	})
}

// TestManagedFieldsInRequestVersion: a built-in kind served in several versions
// (HorizontalPodAutoscaler, stored as autoscaling/v2) records each manager's
// fields in the version of its request and takes server-side apply in every
// served version, as upstream.
func TestManagedFieldsInRequestVersion(t *testing.T) {
	c := newClient(t)
	const v1, v2 = "/apis/autoscaling/v1/namespaces/t/horizontalpodautoscalers", "/apis/autoscaling/v2/namespaces/t/horizontalpodautoscalers"
	hpa := func(version, name, spec string) string {
		return fmt.Sprintf(`{"apiVersion":"autoscaling/%s","kind":"HorizontalPodAutoscaler","metadata":{"name":%q},"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"d"},%s}}`, version, name, spec)
	}
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"create at v1", v1 + "?fieldManager=creator", hpa("v1", "a", `"maxReplicas":3`), "autoscaling/v1"},
		{"create at v2", v2 + "?fieldManager=creator", hpa("v2", "b", `"maxReplicas":3`), "autoscaling/v2"},
	} {
		t.Run(tc.name, func(t *testing.T) { createRecordsManagerAt(t, c, tc.path, tc.body, "creator", tc.want) })
	}

	yamlHPA := func(version, spec string) string {
		return "apiVersion: autoscaling/" + version + "\nkind: HorizontalPodAutoscaler\nmetadata:\n  name: c\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: d}\n" + spec
	}
	code, _, obj := c.applyRaw(v1+"/c", "fieldManager=v1-applier", yamlHPA("v1", "  maxReplicas: 4\n  targetCPUUtilizationPercentage: 50\n"))
	if code != 201 || versionOf(obj, "v1-applier") != "autoscaling/v1" {
		t.Fatalf("apply at autoscaling/v1: %d, manager at %q: %v", code, versionOf(obj, "v1-applier"), obj)
	}
	code, _, obj = c.applyRaw(v2+"/c", "fieldManager=v2-applier", yamlHPA("v2", "  maxReplicas: 5\n"))
	if code != 409 || !strings.Contains(fmt.Sprint(obj["message"]), `conflict with "v1-applier"`) {
		t.Errorf("apply at v2 over the v1 applier's maxReplicas: %d %v, want 409 naming v1-applier", code, obj["message"])
	}
	code, _, obj = c.applyRaw(v2+"/c", "fieldManager=v2-applier&force=true", yamlHPA("v2", "  maxReplicas: 5\n"))
	if code != 200 || versionOf(obj, "v2-applier") != "autoscaling/v2" || versionOf(obj, "v1-applier") != "autoscaling/v1" {
		t.Errorf("forced apply at v2: %d, managers at %q and %q", code, versionOf(obj, "v2-applier"), versionOf(obj, "v1-applier"))
	}
	got := c.getJSON(v1 + "/c")
	spec, _ := got["spec"].(map[string]any)
	if spec["maxReplicas"] != float64(5) || spec["targetCPUUtilizationPercentage"] != float64(50) {
		t.Errorf("after both applies, v1 spec = %v, want maxReplicas 5 and the CPU target kept", spec)
	}
}

// Events are served in two groups over one stored type: each group's writes are
// recorded in its own version, and an apply works in either.
func TestManagedFieldsAcrossEventGroups(t *testing.T) {
	c := newClient(t)
	const core, events = "/api/v1/namespaces/t/events", "/apis/events.k8s.io/v1/namespaces/t/events"
	for _, tc := range []struct {
		name, path, body, want string
	}{
		{"create through events.k8s.io", events + "?fieldManager=creator",
			`{"apiVersion":"events.k8s.io/v1","kind":"Event","metadata":{"name":"a"},"eventTime":"2026-01-02T03:04:05.000000Z","reportingController":"c","reportingInstance":"i","action":"A","reason":"R","regarding":{"kind":"Pod","name":"p","namespace":"t"},"note":"n","type":"Normal"}`,
			"events.k8s.io/v1"},
		{"create through core", core + "?fieldManager=creator",
			`{"apiVersion":"v1","kind":"Event","metadata":{"name":"b"},"involvedObject":{"kind":"Pod","name":"p","namespace":"t"},"reason":"R","message":"m","type":"Normal"}`,
			"v1"},
	} {
		t.Run(tc.name, func(t *testing.T) { createRecordsManagerAt(t, c, tc.path, tc.body, "creator", tc.want) })
	}

	r := c.do("PATCH", events+"/b?fieldManager=patcher", "application/merge-patch+json", jsonCT, []byte(`{"series":{"count":2,"lastObservedTime":"2026-01-02T03:04:06.000000Z"}}`))
	if r.code != 200 {
		t.Fatalf("merge patch through events.k8s.io: %d %s", r.code, r.body)
	}
	got := c.getJSON(core + "/b")
	if series, _ := got["series"].(map[string]any); series["count"] != float64(2) || versionOf(got, "patcher") != "events.k8s.io/v1" || versionOf(got, "creator") != "v1" {
		t.Errorf("after the patch: series %v, patcher at %q, creator at %q; want count 2, events.k8s.io/v1, v1", got["series"], versionOf(got, "patcher"), versionOf(got, "creator"))
	}

	code, _, obj := c.applyRaw(events+"/c", "fieldManager=applier", "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: c\neventTime: \"2026-01-02T03:04:05.000000Z\"\nreportingController: c\nreportingInstance: i\naction: A\nreason: R\nregarding: {kind: Pod, name: p, namespace: t}\nnote: applied\ntype: Normal\nseries: {count: 2, lastObservedTime: \"2026-01-02T03:04:06.000000Z\"}\n")
	if code != 201 || versionOf(obj, "applier") != "events.k8s.io/v1" {
		t.Fatalf("apply through events.k8s.io: %d, applier at %q: %v", code, versionOf(obj, "applier"), obj)
	}
	code, _, obj = c.applyRaw(events+"/c", "fieldManager=other", "apiVersion: events.k8s.io/v1\nkind: Event\nmetadata:\n  name: c\nseries: {count: 3, lastObservedTime: \"2026-01-02T03:04:07.000000Z\"}\n")
	if code != 409 || !strings.Contains(fmt.Sprint(obj["message"]), `conflicts with "applier"`) {
		t.Errorf("a second applier of the series: %d %v, want 409 naming applier", code, obj["message"])
	}
}
