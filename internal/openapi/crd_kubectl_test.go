package openapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	openapi_v3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kproto "k8s.io/kube-openapi/pkg/util/proto"
	"k8s.io/kube-openapi/pkg/util/proto/validation"
)

const cronTabModel = "com.example.stable.v1.CronTab"

// TestCRDKubectlModels reads the documents with the parsers kubectl uses for
// explain and client-side validation.
func TestCRDKubectlModels(t *testing.T) {
	s := withCRDs(t, cronTabCRD(t))
	rec := serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", map[string]string{"Accept": protoV2Accept})
	var doc openapi_v2.Document
	if err := proto.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("v2 protobuf: %v", err)
	}
	v2Models, err := kproto.NewOpenAPIData(&doc)
	if err != nil {
		t.Fatalf("v2 models: %v", err)
	}
	v3Doc, err := openapi_v3.ParseDocument(serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/stable.example.com/v1", nil).Body.Bytes())
	if err != nil {
		t.Fatalf("v3 parse: %v", err)
	}
	v3Models, err := kproto.NewOpenAPIV3Data(v3Doc)
	if err != nil {
		t.Fatalf("v3 models: %v", err)
	}

	for name, models := range map[string]kproto.Models{"v2": v2Models, "v3": v3Models} {
		t.Run(name+" explain crontabs.spec.cronSpec", func(t *testing.T) {
			model := models.LookupModel(cronTabModel)
			if model == nil {
				t.Fatal("no CronTab model")
			}
			field := model
			for _, f := range []string{"spec", "cronSpec"} {
				kind, ok := resolve(field).(*kproto.Kind)
				if !ok {
					t.Fatalf("%s: parent is %T, not an object", f, resolve(field))
				}
				if field, ok = kind.Fields[f]; !ok {
					t.Fatalf("no field %s in %v", f, kind.Keys())
				}
			}
			if got := field.GetDescription(); got != "the schedule" {
				t.Errorf("description %q", got)
			}
		})
	}

	model := v2Models.LookupModel(cronTabModel)
	validations := []struct {
		name    string
		obj     string
		wantErr string
	}{
		{"valid", `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},"spec":{"cronSpec":"* * * * *","replicas":null,"ports":[{"name":"http","port":80}]}}`, ""},
		{"unknown field", `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},"spec":{"cronSpecc":"* * * * *"}}`, "cronSpecc"},
		{"unknown metadata field", `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"nam":"a"}}`, "nam"},
		{"wrong type", `{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},"spec":{"ports":[{"name":"http","port":"eighty"}]}}`, "port"},
	}
	for _, tc := range validations {
		t.Run(tc.name, func(t *testing.T) {
			var obj any
			if err := json.Unmarshal([]byte(tc.obj), &obj); err != nil {
				t.Fatal(err)
			}
			errs := validation.ValidateModel(obj, model, "CronTab")
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Errorf("unexpected errors: %v", errs)
			case tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantErr)):
				t.Errorf("errors %v, want one about %s", errs, tc.wantErr)
			}
		})
	}
}

// TestKubectlExplainCRD runs the real kubectl explain against the documents,
// behind just enough discovery for kubectl to find the resource.
func TestKubectlExplainCRD(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not on PATH")
	}
	s := withCRDs(t, cronTabCRD(t))
	srv := httptest.NewServer(discoveryFor(s))
	t.Cleanup(srv.Close)
	home := t.TempDir()

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"resource", []string{"explain", "crontabs"}, []string{"KIND:", "CronTab", "spec", "spec of the CronTab"}},
		{"field", []string{"explain", "crontabs.spec"}, []string{"FIELD: spec", "cronSpec", "the schedule", "ports"}},
		{"nested field", []string{"explain", "crontabs.spec.ports.name"}, []string{"FIELD: name", "<string>"}},
		{"v2", []string{"explain", "crontabs.spec", "--output=plaintext-openapiv2"}, []string{"cronSpec", "the schedule"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, kubectl, append([]string{"--server=" + srv.URL, "--cache-dir=" + filepath.Join(home, "cache")}, tc.args...)...)
			cmd.Env = append(os.Environ(), "HOME="+home, "KUBECONFIG="+filepath.Join(home, "none"))
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("kubectl %v: %v\n%s", tc.args, err, out)
			}
			for _, want := range tc.want {
				if !strings.Contains(string(out), want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

// discoveryFor serves legacy discovery naming crontabs plus s's documents.
func discoveryFor(s *Service) http.Handler {
	mux := http.NewServeMux()
	write := func(path string, v any) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_ = json.NewEncoder(w).Encode(v)
		})
	}
	gv := metav1.GroupVersionForDiscovery{GroupVersion: "stable.example.com/v1", Version: "v1"}
	write("/api", &metav1.APIVersions{TypeMeta: metav1.TypeMeta{Kind: "APIVersions"}, Versions: []string{"v1"}})
	write("/api/v1", &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}, GroupVersion: "v1"})
	write("/apis", &metav1.APIGroupList{TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
		Groups: []metav1.APIGroup{{Name: "stable.example.com", Versions: []metav1.GroupVersionForDiscovery{gv}, PreferredVersion: gv}}})
	write("/apis/stable.example.com/v1", &metav1.APIResourceList{TypeMeta: metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"},
		GroupVersion: "stable.example.com/v1",
		APIResources: []metav1.APIResource{{Name: "crontabs", SingularName: "crontab", Namespaced: true, Kind: "CronTab",
			Verbs: metav1.Verbs{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}}}})
	mux.Handle("/openapi/v2", s.HandlerV2())
	mux.Handle("/openapi/v3", s.HandlerV3())
	mux.Handle("/openapi/v3/", s.HandlerV3())
	return mux
}
