package openapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/yaml"
)

const cronTabSchema = `
type: object
properties:
  spec:
    type: object
    description: spec of the CronTab
    properties:
      cronSpec: {type: string, description: the schedule}
      image: {type: string, default: nginx}
      replicas: {type: integer, nullable: true}
      ports:
        type: array
        x-kubernetes-list-type: map
        x-kubernetes-list-map-keys: [name]
        items:
          type: object
          required: [name]
          properties:
            name: {type: string}
            port: {type: integer}
  status:
    type: object
    properties:
      replicas: {type: integer}
`

// crd returns a CRD of group with one served version per entry of versions; the
// first version has status and scale subresources.
func crd(t testing.TB, group, kind string, scope apiextensionsv1.ResourceScope, versions ...string) *apiextensionsv1.CustomResourceDefinition {
	t.Helper()
	var schema apiextensionsv1.JSONSchemaProps
	if err := yaml.Unmarshal([]byte(cronTabSchema), &schema); err != nil {
		t.Fatal(err)
	}
	plural := strings.ToLower(kind) + "s"
	c := &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: plural + "." + group, UID: types.UID(plural + group), ResourceVersion: "1"},
		Spec: apiextensionsv1.CustomResourceDefinitionSpec{
			Group: group,
			Scope: scope,
			Names: apiextensionsv1.CustomResourceDefinitionNames{
				Plural: plural, Singular: strings.ToLower(kind), Kind: kind, ListKind: kind + "List",
			},
		},
	}
	for i, v := range versions {
		ver := apiextensionsv1.CustomResourceDefinitionVersion{
			Name: v, Served: true, Storage: i == 0,
			Schema: &apiextensionsv1.CustomResourceValidation{OpenAPIV3Schema: schema.DeepCopy()},
		}
		if i == 0 {
			ver.Subresources = &apiextensionsv1.CustomResourceSubresources{
				Status: &apiextensionsv1.CustomResourceSubresourceStatus{},
				Scale: &apiextensionsv1.CustomResourceSubresourceScale{
					SpecReplicasPath: ".spec.replicas", StatusReplicasPath: ".status.replicas",
				},
			}
		}
		c.Spec.Versions = append(c.Spec.Versions, ver)
	}
	return c
}

func cronTabCRD(t testing.TB) *apiextensionsv1.CustomResourceDefinition {
	return crd(t, "stable.example.com", "CronTab", apiextensionsv1.NamespaceScoped, "v1")
}

func withCRDs(t testing.TB, crds ...*apiextensionsv1.CustomResourceDefinition) *Service {
	s := New(testResources(), testScheme())
	s.SetCustomResourceDefinitions(crds)
	return s
}

func TestCRDOperations(t *testing.T) {
	cluster := crd(t, "example.com", "Widget", apiextensionsv1.ClusterScoped, "v1alpha1")
	cluster.Spec.Versions[0].Subresources = nil
	s := withCRDs(t, cronTabCRD(t), cluster)
	v2 := v2Doc(t, s)
	v3 := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/stable.example.com/v1", nil))
	const (
		coll = "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs"
		item = coll + "/{name}"
	)
	tests := []struct {
		name, path, method, id, action, description string
	}{
		{"list across namespaces", "/apis/stable.example.com/v1/crontabs", "get", "listStableExampleComV1CronTabForAllNamespaces", "list", "list objects of kind CronTab"},
		{"list", coll, "get", "listStableExampleComV1NamespacedCronTab", "list", "list objects of kind CronTab"},
		{"create", coll, "post", "createStableExampleComV1NamespacedCronTab", "post", "create a CronTab"},
		{"delete collection", coll, "delete", "deleteStableExampleComV1CollectionNamespacedCronTab", "deletecollection", "delete collection of CronTab"},
		{"read", item, "get", "readStableExampleComV1NamespacedCronTab", "get", "read the specified CronTab"},
		{"replace", item, "put", "replaceStableExampleComV1NamespacedCronTab", "put", "replace the specified CronTab"},
		{"patch", item, "patch", "patchStableExampleComV1NamespacedCronTab", "patch", "partially update the specified CronTab"},
		{"delete", item, "delete", "deleteStableExampleComV1NamespacedCronTab", "delete", "delete a CronTab"},
		{"read status", item + "/status", "get", "readStableExampleComV1NamespacedCronTabStatus", "get", "read status of the specified CronTab"},
		{"patch scale", item + "/scale", "patch", "patchStableExampleComV1NamespacedCronTabScale", "patch", "partially update scale of the specified CronTab"},
		{"cluster scoped list", "/apis/example.com/v1alpha1/widgets", "get", "listExampleComV1alpha1Widget", "list", "list objects of kind Widget"},
		{"cluster scoped delete collection", "/apis/example.com/v1alpha1/widgets", "delete", "deleteExampleComV1alpha1CollectionWidget", "deletecollection", "delete collection of Widget"},
		{"cluster scoped replace", "/apis/example.com/v1alpha1/widgets/{name}", "put", "replaceExampleComV1alpha1Widget", "put", "replace the specified Widget"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			docs := []document{v2}
			if strings.HasPrefix(tc.path, "/apis/stable.example.com/") {
				docs = append(docs, v3)
			}
			for i, doc := range docs {
				op, ok := doc.lookup("paths", tc.path, tc.method).(map[string]any)
				if !ok {
					t.Fatalf("doc %d: no %s %s", i, tc.method, tc.path)
				}
				o := document(op)
				if got := o.lookup("operationId"); got != tc.id {
					t.Errorf("doc %d: operationId = %v, want %s", i, got, tc.id)
				}
				if got := o.lookup(extAction); got != tc.action {
					t.Errorf("doc %d: action = %v, want %s", i, got, tc.action)
				}
				if got := o.lookup("description"); got != tc.description {
					t.Errorf("doc %d: description = %v, want %s", i, got, tc.description)
				}
			}
		})
	}
}

func TestCRDOperationDetails(t *testing.T) {
	cluster := crd(t, "example.com", "Widget", apiextensionsv1.ClusterScoped, "v1alpha1")
	cluster.Spec.Versions[0].Subresources = nil
	s := withCRDs(t, cronTabCRD(t), cluster)
	v2 := v2Doc(t, s)
	v3 := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/stable.example.com/v1", nil))
	const item = "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}"
	tests := []struct {
		name string
		doc  document
		keys []string
		want any
	}{
		{"no watch paths", v2, []string{"paths", "/apis/stable.example.com/v1/watch/namespaces/{namespace}/crontabs"}, nil},
		{"no discovery path", v2, []string{"paths", "/apis/stable.example.com/v1/"}, nil},
		{"no group path", v2, []string{"paths", "/apis/stable.example.com/"}, nil},
		{"scale gvk names the custom kind", v2, []string{"paths", item + "/scale", "get", extGVK, "kind"}, "CronTab"},
		{"scale returns Scale", v2, []string{"paths", item + "/scale", "get", "responses", "200", "schema", "$ref"}, "#/definitions/io.k8s.api.autoscaling.v1.Scale"},
		{"read returns the kind", v2, []string{"paths", item, "get", "responses", "200", "schema", "$ref"}, "#/definitions/com.example.stable.v1.CronTab"},
		{"list returns the list kind", v2, []string{"paths", "/apis/stable.example.com/v1/crontabs", "get", "responses", "200", "schema", "$ref"}, "#/definitions/com.example.stable.v1.CronTabList"},
		{"delete returns Status", v2, []string{"paths", item, "delete", "responses", "202", "schema", "$ref"}, "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{"patch returns only 200", v2, []string{"paths", item, "patch", "responses", "201"}, nil},
		{"json and yaml only", v2, []string{"paths", item, "get", "produces"}, []any{"application/json", "application/yaml"}},
		{"read consumes json and yaml", v2, []string{"paths", item, "get", "consumes"}, []any{"application/json", "application/yaml"}},
		{"patch types", v2, []string{"paths", item, "patch", "consumes"}, []any{"application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml"}},
		{"status has no subresources of its own", v2, []string{"paths", "/apis/example.com/v1alpha1/widgets/{name}/status"}, nil},
		{"v2 definition", v2, []string{"definitions", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "cronSpec", "description"}, "the schedule"},
		{"v2 drops defaults", v2, []string{"definitions", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "image", "default"}, nil},
		{"v2 nullable untyped", v2, []string{"definitions", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "replicas", "type"}, nil},
		{"v2 keeps built-ins", v2, []string{"definitions", "io.k8s.api.core.v1.Pod", "type"}, "object"},
		{"v3 title", v3, []string{"info", "title"}, "Kubernetes CRD Swagger"},
		{"v3 version", v3, []string{"info", "version"}, "v0.1.0"},
		{"v3 no security schemes", v3, []string{"components", "securitySchemes"}, nil},
		{"v3 keeps defaults", v3, []string{"components", "schemas", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "image", "default"}, "nginx"},
		{"v3 nullable", v3, []string{"components", "schemas", "com.example.stable.v1.CronTab", "properties", "spec", "properties", "replicas", "nullable"}, true},
		{"v3 metadata wrapped", v3, []string{"components", "schemas", "com.example.stable.v1.CronTab", "properties", "metadata", "allOf"},
			[]any{map[string]any{"$ref": "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"}}},
		{"v3 ObjectMeta", v3, []string{"components", "schemas", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "type"}, "object"},
		{"v3 other group left out", v3, []string{"components", "schemas", "com.example.v1alpha1.Widget"}, nil},
		{"v3 request body", v3, []string{"paths", item, "put", "requestBody", "content", "application/yaml", "schema", "$ref"}, "#/components/schemas/com.example.stable.v1.CronTab"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.doc.lookup(tc.keys...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("%v = %#v, want %#v", tc.keys, got, tc.want)
			}
		})
	}
	t.Run("fieldValidation on create", func(t *testing.T) {
		// kubectl --validate=strict checks for it to use server-side validation.
		params := v3.lookup("paths", "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs", "post", "parameters")
		if !paramNamed(params, "fieldValidation") || !paramNamed(params, "fieldManager") || !paramNamed(params, "dryRun") {
			t.Errorf("create parameters %v", params)
		}
	})
	t.Run("delete collection takes list options", func(t *testing.T) {
		params := v3.lookup("paths", "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs", "delete", "parameters")
		if !paramNamed(params, "labelSelector") || !paramNamed(params, "watch") {
			t.Errorf("delete collection parameters %v", params)
		}
	})
	t.Run("read takes resourceVersion", func(t *testing.T) {
		if !paramNamed(v3.lookup("paths", item, "get", "parameters"), "resourceVersion") {
			t.Errorf("read parameters %v", v3.lookup("paths", item, "get", "parameters"))
		}
	})
}

// v3Index returns the served v3 documents and their URLs (which carry hashes).
func v3Index(t testing.TB, s *Service) map[string]string {
	t.Helper()
	paths, _ := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3", nil)).lookup("paths").(map[string]any)
	out := map[string]string{}
	for name, v := range paths {
		out[name], _ = v.(map[string]any)["serverRelativeURL"].(string)
	}
	return out
}

// TestSetCustomResourceDefinitions walks CRDs and resources through changes and
// checks which documents are served, which changed, and that v2 follows.
func TestSetCustomResourceDefinitions(t *testing.T) {
	s := New(testResources(), testScheme())
	cronTab := cronTabCRD(t)
	widget := crd(t, "example.com", "Widget", apiextensionsv1.ClusterScoped, "v1alpha1")
	cronTabV2 := crd(t, "stable.example.com", "CronTab", apiextensionsv1.NamespaceScoped, "v1", "v2")
	cronTabV2.ResourceVersion = "2"
	unserved := cronTabV2.DeepCopy()
	unserved.ResourceVersion = "3"
	unserved.Spec.Versions[1].Served = false
	// A CRD serving a resource Update listed takes its place.
	apps := crd(t, "apps", "Deployment", apiextensionsv1.NamespaceScoped, "v1")

	const (
		stableV1   = "apis/stable.example.com/v1"
		stableV2   = "apis/stable.example.com/v2"
		exampleV1a = "apis/example.com/v1alpha1"
		appsV1     = "apis/apps/v1"
	)
	tests := []struct {
		name      string
		crds      []*apiextensionsv1.CustomResourceDefinition
		resources []registryResources
		served    []string
		absent    []string
		changed   []string
		unchanged []string
		v2Paths   []string
		v2Absent  []string
	}{
		{name: "one CRD", crds: crds(cronTab), served: []string{stableV1, "api/v1", appsV1}, absent: []string{"apis/stable.example.com"},
			v2Paths: []string{"/apis/stable.example.com/v1/crontabs"}},
		{name: "same list again", crds: crds(cronTab), served: []string{stableV1}, unchanged: []string{stableV1, appsV1}},
		{name: "second CRD", crds: crds(cronTab, widget), served: []string{stableV1, exampleV1a}, unchanged: []string{stableV1, "api/v1"},
			v2Paths: []string{"/apis/example.com/v1alpha1/widgets", "/apis/stable.example.com/v1/crontabs"}},
		{name: "new version", crds: crds(cronTabV2, widget), served: []string{stableV1, stableV2, exampleV1a}, unchanged: []string{exampleV1a},
			v2Paths: []string{"/apis/stable.example.com/v2/crontabs"}},
		{name: "version no longer served", crds: crds(unserved, widget), served: []string{stableV1}, absent: []string{stableV2},
			v2Absent: []string{"/apis/stable.example.com/v2/crontabs"}},
		{name: "resources updated", resources: []registryResources{{}}, served: []string{stableV1, exampleV1a, "api/v1"}, absent: []string{appsV1},
			unchanged: []string{stableV1, exampleV1a}, v2Paths: []string{"/apis/example.com/v1alpha1/widgets"}, v2Absent: []string{"/apis/apps/v1/deployments"}},
		{name: "resources back", resources: []registryResources{{all: true}}, served: []string{appsV1}, unchanged: []string{stableV1},
			v2Paths: []string{"/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "/apis/stable.example.com/v1/crontabs"}},
		{name: "CRD takes a resource's place", crds: crds(unserved, widget, apps), served: []string{appsV1}, changed: []string{appsV1},
			v2Paths: []string{"/apis/apps/v1/deployments"}},
		{name: "CRD gives it back", crds: crds(unserved, widget), served: []string{appsV1}, changed: []string{appsV1}},
		{name: "CRD removed", crds: crds(widget), served: []string{exampleV1a}, absent: []string{stableV1}, unchanged: []string{exampleV1a},
			v2Absent: []string{"/apis/stable.example.com/v1/crontabs"}},
		{name: "none", crds: nil, served: []string{"api/v1", appsV1}, absent: []string{exampleV1a},
			v2Absent: []string{"/apis/example.com/v1alpha1/widgets"}},
	}
	before := v3Index(t, s)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			switch {
			case tc.resources != nil && tc.resources[0].all:
				s.Update(testResources())
			case tc.resources != nil:
				s.Update(testResources()[:2])
			default:
				s.SetCustomResourceDefinitions(tc.crds)
			}
			after := v3Index(t, s)
			for _, name := range tc.served {
				if after[name] == "" {
					t.Errorf("%s not served", name)
				} else if rec := serve(t, s.HandlerV3(), http.MethodGet, after[name], nil); rec.Code != http.StatusOK {
					t.Errorf("%s: status %d", name, rec.Code)
				}
			}
			for _, name := range tc.absent {
				if _, ok := after[name]; ok {
					t.Errorf("%s still listed", name)
				}
				if rec := serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/"+name, nil); rec.Code != http.StatusNotFound {
					t.Errorf("%s: status %d, want 404", name, rec.Code)
				}
			}
			for _, name := range tc.changed {
				if after[name] == before[name] {
					t.Errorf("%s did not change", name)
				}
			}
			for _, name := range tc.unchanged {
				if after[name] != before[name] {
					t.Errorf("%s changed: %s -> %s", name, before[name], after[name])
				}
			}
			v2 := v2Doc(t, s)
			for _, p := range tc.v2Paths {
				if v2.lookup("paths", p) == nil {
					t.Errorf("v2 lacks %s", p)
				}
			}
			for _, p := range tc.v2Absent {
				if v2.lookup("paths", p) != nil {
					t.Errorf("v2 still has %s", p)
				}
			}
			before = after
		})
	}
}

// registryResources selects the resources of an Update step.
type registryResources struct{ all bool }

func crds(list ...*apiextensionsv1.CustomResourceDefinition) []*apiextensionsv1.CustomResourceDefinition {
	return list
}

// TestCRDConflicts checks CRDs never break the documents: two CRDs for one
// resource, and a CRD whose definition name is a built-in one.
func TestCRDConflicts(t *testing.T) {
	first := cronTabCRD(t)
	second := cronTabCRD(t)
	second.Name = "zz-" + second.Name
	second.Spec.Names.Kind = "Other"
	// Group core.api.k8s.io reverses to io.k8s.api.core, so its v1 Pod would be
	// named like the built-in Pod.
	shadow := crd(t, "core.api.k8s.io", "Pod", apiextensionsv1.NamespaceScoped, "v1")
	s := withCRDs(t, first, second, shadow)
	v2 := v2Doc(t, s)
	if got := v2.lookup("paths", "/apis/stable.example.com/v1/crontabs", "get", extGVK, "kind"); got != "CronTab" {
		t.Errorf("first CRD by name should win, got kind %v", got)
	}
	if v2.lookup("paths", "/apis/core.api.k8s.io/v1/pods") != nil {
		t.Error("a CRD shadowing a built-in definition is published")
	}
	if v2.lookup("definitions", "io.k8s.api.core.v1.Pod", "properties", "spec", "$ref") == nil {
		t.Error("the built-in Pod definition was replaced")
	}
	if rec := serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/stable.example.com/v1", nil); rec.Code != http.StatusOK {
		t.Errorf("v3 status %d", rec.Code)
	}
}

// TestConcurrentCRDChanges changes CRDs and resources while documents are read;
// run with -race.
func TestConcurrentCRDChanges(t *testing.T) {
	s := New(testResources(), testScheme())
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			var list []*apiextensionsv1.CustomResourceDefinition
			for j := range 5 {
				list = append(list, crd(t, fmt.Sprintf("g%d-%d.example.com", i, j), "Thing", apiextensionsv1.NamespaceScoped, "v1"))
				s.SetCustomResourceDefinitions(list)
				if j%2 == 0 {
					s.Update(testResources())
				}
			}
		})
		wg.Go(func() {
			for range 5 {
				for name, url := range v3Index(t, s) {
					if rec := serve(t, s.HandlerV3(), http.MethodGet, url, nil); rec.Code != http.StatusOK && rec.Code != http.StatusMovedPermanently && rec.Code != http.StatusNotFound {
						t.Errorf("%s: status %d", name, rec.Code)
					}
				}
			}
		})
	}
	wg.Go(func() {
		if rec := serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", nil); rec.Code != http.StatusOK {
			t.Errorf("v2 status %d", rec.Code)
		}
	})
	wg.Wait()
}

// TestCRDGolden compares the v3 document of a CRD's group version with testdata;
// run with -update to rewrite it.
func TestCRDGolden(t *testing.T) {
	s := withCRDs(t, cronTabCRD(t))
	doc := decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/stable.example.com/v1", nil))
	got, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", "v3_apis_stable.example.com_v1.json")
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
		t.Errorf("document differs from %s; run go test -run TestCRDGolden -update and review the diff", path)
	}
}

// BenchmarkAddCRDsOneByOne adds n small CRDs one at a time, as a CRD controller
// does when they are created one by one, then serves /openapi/v3 once (which
// builds every document). Time per CRD should stay flat as n grows.
func BenchmarkAddCRDsOneByOne(b *testing.B) {
	for _, n := range []int{25, 50, 100} {
		b.Run(fmt.Sprintf("crds=%d", n), func(b *testing.B) {
			all := make([]*apiextensionsv1.CustomResourceDefinition, n)
			for i := range all {
				all[i] = crd(b, fmt.Sprintf("g%d.example.com", i), "Thing", apiextensionsv1.NamespaceScoped, "v1")
			}
			b.ReportAllocs()
			for b.Loop() {
				s := New(testResources(), testScheme())
				for i := range all {
					s.SetCustomResourceDefinitions(all[:i+1])
				}
				if got := len(v3Index(b, s)); got < n {
					b.Fatalf("%d documents", got)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/crd")
		})
	}
}
