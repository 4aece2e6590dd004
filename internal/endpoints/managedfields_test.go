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
