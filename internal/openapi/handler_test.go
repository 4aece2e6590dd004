package openapi

import (
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	openapi_v3 "github.com/google/gnostic-models/openapiv3"
	"google.golang.org/protobuf/proto"
	kproto "k8s.io/kube-openapi/pkg/util/proto"
	"k8s.io/kube-openapi/pkg/util/proto/validation"

	"github.com/kapi-dev/kapi/internal/registry"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const protoV2Accept = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf"

func TestV2Handler(t *testing.T) {
	s := New(testResources(), testScheme())
	etag := serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", nil).Header().Get("Etag")
	if etag == "" {
		t.Fatal("no Etag")
	}
	tests := []struct {
		name        string
		method      string
		header      map[string]string
		code        int
		contentType string
	}{
		{"default is json", http.MethodGet, nil, http.StatusOK, "application/json"},
		{"json", http.MethodGet, map[string]string{"Accept": "application/json"}, http.StatusOK, "application/json"},
		{"kubectl protobuf", http.MethodGet, map[string]string{"Accept": protoV2Accept + ", application/json"}, http.StatusOK, "application/" + protoV2Type},
		{"protobuf", http.MethodGet, map[string]string{"Accept": "application/" + protoV2Type}, http.StatusOK, "application/" + protoV2Type},
		{"unacceptable", http.MethodGet, map[string]string{"Accept": "text/html"}, http.StatusNotAcceptable, ""},
		{"cached by etag", http.MethodGet, map[string]string{"If-None-Match": etag}, http.StatusNotModified, ""},
		{"head", http.MethodHead, nil, http.StatusOK, "application/json"},
		{"post", http.MethodPost, nil, http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, s.HandlerV2(), tc.method, "/openapi/v2", tc.header)
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Content-Type"); tc.contentType != "" && got != tc.contentType {
				t.Errorf("Content-Type %q, want %q", got, tc.contentType)
			}
			if tc.code == http.StatusOK && rec.Header().Get("Etag") != etag {
				t.Errorf("Etag %q, want %q for every encoding", rec.Header().Get("Etag"), etag)
			}
		})
	}
}

func TestV3Handler(t *testing.T) {
	s := New(testResources(), testScheme())
	disco := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3", nil))
	paths, _ := disco["paths"].(map[string]any)
	var names []string
	for name := range paths {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{".well-known/openid-configuration", "api", "api/v1", "apis", "apis/apps", "apis/apps/v1", "openid/v1/jwks", "version"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Fatalf("documents %v, want %v", names, want)
	}
	url := func(name string) string {
		return paths[name].(map[string]any)["serverRelativeURL"].(string)
	}

	tests := []struct {
		name         string
		target       string
		accept       string
		code         int
		cacheControl string
		// path is an operation the document must hold.
		path string
	}{
		{"core document with hash", url("api/v1"), "", http.StatusOK, "public, immutable", "/api/v1/namespaces/{namespace}/pods"},
		{"group document without hash", "/openapi/v3/apis/apps/v1", "", http.StatusOK, "", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale"},
		{"group discovery document", url("apis/apps"), "application/json", http.StatusOK, "public, immutable", "/apis/apps/"},
		{"stale hash redirects", "/openapi/v3/api/v1?hash=0123", "", http.StatusMovedPermanently, "", ""},
		{"protobuf", url("apis/apps/v1"), "application/com.github.proto-openapi.spec.v3.v1.0+protobuf", http.StatusOK, "public, immutable", ""},
		{"unknown group version", "/openapi/v3/apis/batch/v1", "", http.StatusNotFound, "", ""},
		{"unacceptable", "/openapi/v3/api/v1", "text/html", http.StatusNotAcceptable, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := serve(t, s.HandlerV3(), http.MethodGet, tc.target, map[string]string{"Accept": tc.accept})
			if rec.Code != tc.code {
				t.Fatalf("status %d, want %d", rec.Code, tc.code)
			}
			if got := rec.Header().Get("Cache-Control"); got != tc.cacheControl {
				t.Errorf("Cache-Control %q, want %q", got, tc.cacheControl)
			}
			if tc.path != "" && decode(t, rec).lookup("paths", tc.path) == nil {
				t.Errorf("document lacks %s", tc.path)
			}
		})
	}
}

func TestV3Document(t *testing.T) {
	s := New(testResources(), testScheme())
	doc := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/apps/v1", nil))
	tests := []struct {
		name string
		keys []string
		want any
	}{
		{"operation id", []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status", "get", "operationId"}, "readAppsV1NamespacedDeploymentStatus"},
		{"request body", []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "patch", "requestBody", "content", "application/apply-patch+yaml", "schema", "$ref"},
			"#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.Patch"},
		{"response content", []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments", "get", "responses", "200", "content", "application/json", "schema", "$ref"},
			"#/components/schemas/io.k8s.api.apps.v1.DeploymentList"},
		{"referenced schema", []string{"components", "schemas", "io.k8s.api.core.v1.PodTemplateSpec", "type"}, "object"},
		{"v3 keeps defaults", []string{"components", "schemas", "io.k8s.api.core.v1.ContainerPort", "properties", "protocol", "default"}, "TCP"},
		{"core types stay out", []string{"paths", "/api/v1/namespaces"}, nil},
		{"security scheme", []string{"components", "securitySchemes", "BearerToken", "in"}, "header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := doc.lookup(tc.keys...); got != tc.want {
				t.Errorf("%v = %v, want %v", tc.keys, got, tc.want)
			}
		})
	}
}

func TestUpdate(t *testing.T) {
	s := New(testResources()[:2], testScheme())
	tests := []struct {
		name      string
		resources func() []*registry.Resource
		v3Code    int
		hasApps   bool
	}{
		{"before", nil, http.StatusNotFound, false},
		{"group added", func() []*registry.Resource { return testResources() }, http.StatusOK, true},
		{"group removed", func() []*registry.Resource { return testResources()[:1] }, http.StatusNotFound, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.resources != nil {
				s.Update(tc.resources())
			}
			if rec := serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/apps/v1", nil); rec.Code != tc.v3Code {
				t.Errorf("apps/v1 document status %d, want %d", rec.Code, tc.v3Code)
			}
			_, listed := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3", nil)).lookup("paths").(map[string]any)["apis/apps/v1"]
			if listed != tc.hasApps {
				t.Errorf("apps/v1 listed in discovery = %v, want %v", listed, tc.hasApps)
			}
			v2Apps := v2Doc(t, s).lookup("paths", "/apis/apps/v1/deployments") != nil
			if v2Apps != tc.hasApps {
				t.Errorf("v2 has deployments = %v, want %v", v2Apps, tc.hasApps)
			}
		})
	}
}

// TestKubectlParsers parses the documents with the parsers kubectl uses for explain
// and client-side validation, and validates objects against the Pod model.
func TestKubectlParsers(t *testing.T) {
	s := New(testResources(), testScheme())
	rec := serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", map[string]string{"Accept": protoV2Accept})
	var doc openapi_v2.Document
	if err := proto.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("v2 protobuf: %v", err)
	}
	models, err := kproto.NewOpenAPIData(&doc)
	if err != nil {
		t.Fatalf("v2 models: %v", err)
	}
	pod := models.LookupModel("io.k8s.api.core.v1.Pod")
	if pod == nil {
		t.Fatal("no Pod model")
	}

	t.Run("explain pods.spec.containers", func(t *testing.T) {
		field := pod
		for _, name := range []string{"spec", "containers"} {
			kind, ok := resolve(field).(*kproto.Kind)
			if !ok {
				t.Fatalf("%s: not an object", name)
			}
			if field, ok = kind.Fields[name]; !ok {
				t.Fatalf("no field %s", name)
			}
		}
		arr, ok := resolve(field).(*kproto.Array)
		if !ok {
			t.Fatalf("containers is %T, want an array", field)
		}
		if !strings.Contains(arr.GetDescription(), "containers") {
			t.Errorf("description %q", arr.GetDescription())
		}
	})

	validations := []struct {
		name    string
		obj     string
		wantErr string
	}{
		{"valid pod", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80}]}]}}`, ""},
		{"unknown field", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","imagee":"nginx"}]}}`, "imagee"},
		{"wrong type", `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","ports":[{"containerPort":"eighty"}]}]}}`, "containerPort"},
	}
	for _, tc := range validations {
		t.Run(tc.name, func(t *testing.T) {
			var obj any
			if err := json.Unmarshal([]byte(tc.obj), &obj); err != nil {
				t.Fatal(err)
			}
			errs := validation.ValidateModel(obj, pod, "Pod")
			switch {
			case tc.wantErr == "" && len(errs) > 0:
				t.Errorf("unexpected errors: %v", errs)
			case tc.wantErr != "" && (len(errs) == 0 || !strings.Contains(errs[0].Error(), tc.wantErr)):
				t.Errorf("errors %v, want one about %s", errs, tc.wantErr)
			}
		})
	}

	t.Run("v3 document", func(t *testing.T) {
		rec := serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/api/v1", nil)
		doc, err := openapi_v3.ParseDocument(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		models, err := kproto.NewOpenAPIV3Data(doc)
		if err != nil {
			t.Fatalf("models: %v", err)
		}
		if models.LookupModel("io.k8s.api.core.v1.Namespace") == nil {
			t.Error("no Namespace model")
		}
	})
}

// resolve follows references to the schema they name.
func resolve(s kproto.Schema) kproto.Schema {
	for {
		ref, ok := s.(kproto.Reference)
		if !ok {
			return s
		}
		s = ref.SubSchema()
	}
}

// TestGolden compares small documents with testdata; run with -update to rewrite.
func TestGolden(t *testing.T) {
	tests := []struct {
		name      string
		file      string
		resources []*registry.Resource
		target    string
		handler   func(*Service) http.Handler
		// keep names the top-level keys compared; nil keeps the whole document.
		keep []string
	}{
		{"core discovery document", "v3_api.json", testResources(), "/openapi/v3/api", (*Service).HandlerV3, nil},
		{"namespace operations", "v2_namespaces_paths.json", []*registry.Resource{namespaces()}, "/openapi/v2", (*Service).HandlerV2, []string{"paths", "parameters"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := New(tc.resources, testScheme())
			doc := decode(t, serve(t, tc.handler(s), http.MethodGet, tc.target, nil))
			if tc.keep != nil {
				kept := document{}
				for _, k := range tc.keep {
					kept[k] = doc[k]
				}
				doc = kept
			}
			got, err := json.MarshalIndent(doc, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create)", err)
			}
			if string(got) != string(want) {
				t.Errorf("%s differs from %s; run go test -run TestGolden -update and review the diff", tc.target, path)
			}
		})
	}
}

// TestConcurrentFirstRequests builds every document at once; run with -race, it
// checks the builds share no mutable state.
func TestConcurrentFirstRequests(t *testing.T) {
	s := New(testResources(), testScheme())
	targets := []string{"/openapi/v2", "/openapi/v3", "/openapi/v3/api/v1", "/openapi/v3/apis/apps/v1", "/openapi/v3/api", "/openapi/v3/version"}
	codes := make([]int, len(targets))
	var defsErr error
	var wg sync.WaitGroup
	for i, target := range targets {
		wg.Go(func() {
			h := s.HandlerV3()
			if target == "/openapi/v2" {
				h = s.HandlerV2()
			}
			codes[i] = serve(t, h, http.MethodGet, target, nil).Code
		})
	}
	wg.Go(func() { _, defsErr = s.Definitions() })
	wg.Wait()
	if defsErr != nil {
		t.Errorf("Definitions: %v", defsErr)
	}
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("%s: status %d", targets[i], code)
		}
	}
}

// TestV3ScopedMetaKinds: DeleteOptions and WatchEvent, registered in every group,
// list only core v1 and the document's own group version in a built-in group
// version's v3 document, as kube-apiserver v1.37 publishes them; other kinds are
// left as they are.
func TestV3ScopedMetaKinds(t *testing.T) {
	s := New(testResources(), testScheme())
	gvks := func(doc document, def string) []string {
		t.Helper()
		list, _ := doc.lookup("components", "schemas", def, extGVK).([]any)
		var out []string
		for _, item := range list {
			m := item.(map[string]any)
			out = append(out, m["group"].(string)+"/"+m["version"].(string)+"/"+m["kind"].(string))
		}
		return out
	}
	apps := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/apps/v1", nil))
	core := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/api/v1", nil))
	tests := []struct {
		name string
		doc  document
		def  string
		want []string
	}{
		{"apps DeleteOptions", apps, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", []string{"/v1/DeleteOptions", "apps/v1/DeleteOptions"}},
		{"apps WatchEvent", apps, "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent", []string{"/v1/WatchEvent", "apps/v1/WatchEvent"}},
		{"core DeleteOptions", core, "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions", []string{"/v1/DeleteOptions"}},
		{"apps Scale untouched", apps, "io.k8s.api.autoscaling.v1.Scale", []string{"autoscaling/v1/Scale"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := gvks(tc.doc, tc.def); strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("%s lists %v, want %v", tc.def, got, tc.want)
			}
		})
	}
}
