package openapi

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

func testScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv1.AddToScheme, metav1.AddMetaToScheme,
	} {
		utilruntime.Must(add(s))
	}
	return s
}

var (
	coreV1 = schema.GroupVersion{Version: "v1"}
	appsV1 = schema.GroupVersion{Group: "apps", Version: "v1"}
)

func pods() *registry.Resource {
	return &registry.Resource{GroupVersion: coreV1, Name: "pods", Kind: "Pod", Namespaced: true, Status: true, ReturnDeletedObject: true}
}

func namespaces() *registry.Resource {
	return &registry.Resource{GroupVersion: coreV1, Name: "namespaces", Kind: "Namespace", Status: true, ReturnDeletedObject: true,
		Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}}
}

func deployments() *registry.Resource {
	return &registry.Resource{GroupVersion: appsV1, Name: "deployments", Kind: "Deployment", Namespaced: true, Status: true,
		Scale: &registry.Scale{}}
}

func testResources() []*registry.Resource {
	return []*registry.Resource{pods(), namespaces(), deployments()}
}

func serve(t testing.TB, h http.Handler, method, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

// document is a decoded OpenAPI document, walked with lookup.
type document map[string]any

func decode(t testing.TB, rec *httptest.ResponseRecorder) document {
	t.Helper()
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
	}
	var d document
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return d
}

// lookup follows keys through nested objects; nil when a key is missing.
func (d document) lookup(keys ...string) any {
	var cur any = map[string]any(d)
	for _, k := range keys {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[k]
	}
	return cur
}

func v2Doc(t testing.TB, s *Service) document {
	t.Helper()
	return decode(t, serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", nil))
}

func TestV2Operations(t *testing.T) {
	doc := v2Doc(t, New(testResources(), testScheme()))
	tests := []struct {
		name, path, method, id, action, group, kind string
	}{
		{"list namespaced", "/api/v1/namespaces/{namespace}/pods", "get", "listCoreV1NamespacedPod", "list", "", "Pod"},
		{"create", "/api/v1/namespaces/{namespace}/pods", "post", "createCoreV1NamespacedPod", "post", "", "Pod"},
		{"delete collection", "/api/v1/namespaces/{namespace}/pods", "delete", "deleteCoreV1CollectionNamespacedPod", "deletecollection", "", "Pod"},
		{"read", "/api/v1/namespaces/{namespace}/pods/{name}", "get", "readCoreV1NamespacedPod", "get", "", "Pod"},
		{"replace", "/api/v1/namespaces/{namespace}/pods/{name}", "put", "replaceCoreV1NamespacedPod", "put", "", "Pod"},
		{"patch", "/api/v1/namespaces/{namespace}/pods/{name}", "patch", "patchCoreV1NamespacedPod", "patch", "", "Pod"},
		{"delete", "/api/v1/namespaces/{namespace}/pods/{name}", "delete", "deleteCoreV1NamespacedPod", "delete", "", "Pod"},
		{"list all namespaces", "/api/v1/pods", "get", "listCoreV1PodForAllNamespaces", "list", "", "Pod"},
		{"watch item", "/api/v1/watch/namespaces/{namespace}/pods/{name}", "get", "watchCoreV1NamespacedPod", "watch", "", "Pod"},
		{"watch list", "/api/v1/watch/namespaces/{namespace}/pods", "get", "watchCoreV1NamespacedPodList", "watchlist", "", "Pod"},
		{"watch all namespaces", "/api/v1/watch/pods", "get", "watchCoreV1PodListForAllNamespaces", "watchlist", "", "Pod"},
		{"read status", "/api/v1/namespaces/{namespace}/pods/{name}/status", "get", "readCoreV1NamespacedPodStatus", "get", "", "Pod"},
		{"cluster scoped patch", "/api/v1/namespaces/{name}", "patch", "patchCoreV1Namespace", "patch", "", "Namespace"},
		{"cluster scoped watch list", "/api/v1/watch/namespaces", "get", "watchCoreV1NamespaceList", "watchlist", "", "Namespace"},
		{"cluster scoped status", "/api/v1/namespaces/{name}/status", "put", "replaceCoreV1NamespaceStatus", "put", "", "Namespace"},
		{"group list", "/apis/apps/v1/namespaces/{namespace}/deployments", "get", "listAppsV1NamespacedDeployment", "list", "apps", "Deployment"},
		{"group status", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/status", "get", "readAppsV1NamespacedDeploymentStatus", "get", "apps", "Deployment"},
		{"scale is autoscaling Scale", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale", "patch", "patchAppsV1NamespacedDeploymentScale", "patch", "autoscaling", "Scale"},
		{"discovery resources", "/apis/apps/v1/", "get", "getAppsV1APIResources", "", "", ""},
		{"discovery group", "/apis/apps/", "get", "getAppsAPIGroup", "", "", ""},
		{"discovery core", "/api/", "get", "getCoreAPIVersions", "", "", ""},
		{"discovery groups", "/apis/", "get", "getAPIVersions", "", "", ""},
		{"version", "/version/", "get", "getCodeVersion", "", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			op := doc.lookup("paths", tc.path, tc.method)
			if op == nil {
				t.Fatalf("no %s %s", tc.method, tc.path)
			}
			o := document(op.(map[string]any))
			if got := o.lookup("operationId"); got != tc.id {
				t.Errorf("operationId = %v, want %s", got, tc.id)
			}
			if tc.action == "" {
				if o.lookup(extAction) != nil {
					t.Errorf("unexpected %s on a discovery operation", extAction)
				}
				return
			}
			if got := o.lookup(extAction); got != tc.action {
				t.Errorf("%s = %v, want %s", extAction, got, tc.action)
			}
			if g, k := o.lookup(extGVK, "group"), o.lookup(extGVK, "kind"); g != tc.group || k != tc.kind {
				t.Errorf("%s = %v/%v, want %s/%s", extGVK, g, k, tc.group, tc.kind)
			}
		})
	}
}

func TestV2OperationDetails(t *testing.T) {
	doc := v2Doc(t, New(testResources(), testScheme()))
	tests := []struct {
		name  string
		keys  []string
		want  any
		check func(any) bool
	}{
		{name: "namespaces have no delete collection", keys: []string{"paths", "/api/v1/namespaces", "delete"}, want: nil},
		{name: "pods have no scale", keys: []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}/scale"}, want: nil},
		{name: "patch consumes patch types", keys: []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}", "patch", "consumes"},
			check: func(v any) bool {
				return listHas(v, "application/apply-patch+yaml") && listHas(v, "application/strategic-merge-patch+json")
			}},
		{name: "create consumes anything", keys: []string{"paths", "/api/v1/namespaces/{namespace}/pods", "post", "consumes"},
			check: func(v any) bool { return listHas(v, "*/*") }},
		{name: "list produces watch streams", keys: []string{"paths", "/api/v1/pods", "get", "produces"},
			check: func(v any) bool { return listHas(v, "application/json;stream=watch") }},
		{name: "read produces protobuf", keys: []string{"paths", "/api/v1/namespaces/{name}", "get", "produces"},
			check: func(v any) bool { return listHas(v, "application/vnd.kubernetes.protobuf") }},
		{name: "create returns 201", keys: []string{"paths", "/api/v1/namespaces", "post", "responses", "201", "schema", "$ref"},
			want: "#/definitions/io.k8s.api.core.v1.Namespace"},
		{name: "list returns the list kind", keys: []string{"paths", "/api/v1/namespaces", "get", "responses", "200", "schema", "$ref"},
			want: "#/definitions/io.k8s.api.core.v1.NamespaceList"},
		{name: "delete returns the object when configured", keys: []string{"paths", "/api/v1/namespaces/{namespace}/pods/{name}", "delete", "responses", "200", "schema", "$ref"},
			want: "#/definitions/io.k8s.api.core.v1.Pod"},
		{name: "namespace delete documents a Status", keys: []string{"paths", "/api/v1/namespaces/{name}", "delete", "responses", "200", "schema", "$ref"},
			want: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{name: "delete returns Status otherwise", keys: []string{"paths", "/apis/apps/v1/namespaces/{namespace}/deployments/{name}", "delete", "responses", "202", "schema", "$ref"},
			want: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Status"},
		{name: "watch returns WatchEvent", keys: []string{"paths", "/api/v1/watch/pods", "get", "responses", "200", "schema", "$ref"},
			want: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent"},
		{name: "unauthorized on every operation", keys: []string{"paths", "/api/v1/namespaces/{name}/status", "get", "responses", "401", "description"},
			want: "Unauthorized"},
		{name: "tags name the group version", keys: []string{"paths", "/apis/apps/v1/deployments", "get", "tags"},
			check: func(v any) bool { return listHas(v, "apps_v1") }},
		{name: "shared list parameters", keys: []string{"parameters"},
			check: func(v any) bool {
				m, _ := v.(map[string]any)
				var names []string
				for _, p := range m {
					names = append(names, p.(map[string]any)["name"].(string))
				}
				for _, want := range []string{"labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch", "pretty", "namespace"} {
					if !listHas(toAny(names), want) {
						return false
					}
				}
				return true
			}},
		{name: "create takes fieldManager", keys: []string{"paths", "/api/v1/namespaces", "post", "parameters"},
			check: func(v any) bool { return paramNamed(v, "dryRun") && paramNamed(v, "fieldValidation") }},
		{name: "bearer token security", keys: []string{"securityDefinitions", "BearerToken", "type"}, want: "apiKey"},
		{name: "title", keys: []string{"info", "title"}, want: "Kubernetes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := doc.lookup(tc.keys...)
			if tc.check != nil {
				if !tc.check(got) {
					t.Errorf("%v: unexpected %v", tc.keys, got)
				}
				return
			}
			if got != tc.want {
				t.Errorf("%v = %v, want %v", tc.keys, got, tc.want)
			}
		})
	}
}

func toAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

func listHas(v any, want string) bool {
	list, _ := v.([]any)
	for _, x := range list {
		if x == want {
			return true
		}
	}
	return false
}

// paramNamed reports whether an inline parameter of that name is in the list
// (shared ones are $refs and checked elsewhere).
func paramNamed(v any, name string) bool {
	list, _ := v.([]any)
	for _, p := range list {
		if m, ok := p.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}

func TestV2Definitions(t *testing.T) {
	doc := v2Doc(t, New(testResources(), testScheme()))
	tests := []struct {
		name, definition string
		gvk              *schema.GroupVersionKind
	}{
		{"kind", "io.k8s.api.core.v1.Pod", &schema.GroupVersionKind{Version: "v1", Kind: "Pod"}},
		{"list kind", "io.k8s.api.apps.v1.DeploymentList", &schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "DeploymentList"}},
		{"scale", "io.k8s.api.autoscaling.v1.Scale", &schema.GroupVersionKind{Group: "autoscaling", Version: "v1", Kind: "Scale"}},
		{"status", "io.k8s.apimachinery.pkg.apis.meta.v1.Status", &schema.GroupVersionKind{Version: "v1", Kind: "Status"}},
		{"referenced type without a kind", "io.k8s.api.core.v1.Container", nil},
		{"apimachinery type", "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", nil},
		{"quantity", "io.k8s.apimachinery.pkg.api.resource.Quantity", nil},
		{"int or string", "io.k8s.apimachinery.pkg.util.intstr.IntOrString", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			def := doc.lookup("definitions", tc.definition)
			if def == nil {
				t.Fatalf("definition %s missing", tc.definition)
			}
			ext := document(def.(map[string]any)).lookup(extGVK)
			if tc.gvk == nil {
				if ext != nil {
					t.Errorf("unexpected %s: %v", extGVK, ext)
				}
				return
			}
			list, _ := ext.([]any)
			found := false
			for _, e := range list {
				m := e.(map[string]any)
				if m["group"] == tc.gvk.Group && m["version"] == tc.gvk.Version && m["kind"] == tc.gvk.Kind {
					found = true
				}
			}
			if !found {
				t.Errorf("%s = %v, want it to hold %v", extGVK, ext, tc.gvk)
			}
		})
	}
	t.Run("defaults pruned from v2", func(t *testing.T) {
		if d := doc.lookup("definitions", "io.k8s.api.core.v1.ContainerPort", "properties", "protocol", "default"); d != nil {
			t.Errorf("v2 ContainerPort.protocol default = %v, want none", d)
		}
	})
}

func TestDefinitionsAccessor(t *testing.T) {
	s := New(nil, testScheme())
	defs, err := s.Definitions()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		gvk  schema.GroupVersionKind
		want string
	}{
		{"core kind", corev1.SchemeGroupVersion.WithKind("Pod"), "io.k8s.api.core.v1.Pod"},
		{"group kind", appsv1.SchemeGroupVersion.WithKind("Deployment"), "io.k8s.api.apps.v1.Deployment"},
		{"meta kind registered in a group", appsv1.SchemeGroupVersion.WithKind("DeleteOptions"), "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			name, ok := s.DefinitionName(tc.gvk)
			if !ok || name != tc.want {
				t.Fatalf("DefinitionName(%v) = %q, %v; want %q", tc.gvk, name, ok, tc.want)
			}
			def, ok := defs[name]
			if !ok {
				t.Fatalf("no definition %s", name)
			}
			if _, ok := def.Extensions[extGVK]; !ok {
				t.Errorf("%s has no %s", name, extGVK)
			}
		})
	}
	t.Run("unknown kind", func(t *testing.T) {
		if name, ok := s.DefinitionName(schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}); ok {
			t.Errorf("DefinitionName = %q for an unregistered kind", name)
		}
	})
	t.Run("referenced types are included", func(t *testing.T) {
		if _, ok := defs["io.k8s.api.core.v1.PodSpec"]; !ok {
			t.Error("PodSpec missing")
		}
	})
}

func TestBuildErrors(t *testing.T) {
	unknown := &registry.Resource{GroupVersion: schema.GroupVersion{Group: "example.com", Version: "v1"}, Name: "widgets", Kind: "Widget"}
	s := New([]*registry.Resource{namespaces(), unknown}, testScheme())
	t.Run("v2 fails loudly", func(t *testing.T) {
		rec := serve(t, s.HandlerV2(), http.MethodGet, "/openapi/v2", nil)
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), "Widget") {
			t.Errorf("status %d body %q, want 503 naming the kind", rec.Code, rec.Body.String())
		}
	})
	t.Run("v3 serves the rest", func(t *testing.T) {
		decode(t, serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/api/v1", nil))
		if rec := serve(t, s.HandlerV3(), http.MethodGet, "/openapi/v3/apis/example.com/v1", nil); rec.Code != http.StatusNotFound {
			t.Errorf("status %d for the failed group version, want 404", rec.Code)
		}
	})
}

func TestNames(t *testing.T) {
	tests := []struct {
		name          string
		gv            schema.GroupVersion
		infix, tag    string
		kind, wantArt string
	}{
		{"core", schema.GroupVersion{Version: "v1"}, "CoreV1", "core_v1", "Pod", " a "},
		{"dotted group", schema.GroupVersion{Group: "rbac.authorization.k8s.io", Version: "v1"}, "RbacAuthorizationV1", "rbacAuthorization_v1", "Event", " an "},
		{"beta version", schema.GroupVersion{Group: "flowcontrol.apiserver.k8s.io", Version: "v1beta3"}, "FlowcontrolApiserverV1beta3", "flowcontrolApiserver_v1beta3", "Endpoints", " "},
		{"plain group", schema.GroupVersion{Group: "apps", Version: "v1"}, "AppsV1", "apps_v1", "Deployment", " a "},
		{"kind ending in ss", schema.GroupVersion{Group: "networking.k8s.io", Version: "v1"}, "NetworkingV1", "networking_v1", "IngressClass", " an "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			infix, tag := gvNames(tc.gv)
			if infix != tc.infix || tag != tc.tag {
				t.Errorf("gvNames = %q, %q; want %q, %q", infix, tag, tc.infix, tc.tag)
			}
			if got := article(tc.kind); got != tc.wantArt {
				t.Errorf("article(%q) = %q, want %q", tc.kind, got, tc.wantArt)
			}
		})
	}
}

// TestStaticDocNames: the documents published before any is built are exactly the
// containers a build makes, so none is missing or published empty.
func TestStaticDocNames(t *testing.T) {
	resources := testResources()
	containers, err := buildContainers(resources, testScheme())
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]bool{}
	for _, c := range containers {
		built[strings.TrimPrefix(c.RootPath(), "/")] = true
	}
	if got := staticDocNames(resources); !maps.Equal(got, built) {
		t.Errorf("staticDocNames = %v, want the built containers %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(built)))
	}
}

// TestListDescription: a list operation says "or watch" only when the resource
// serves watch (componentstatuses does not).
func TestListDescription(t *testing.T) {
	cs := &registry.Resource{GroupVersion: coreV1, Name: "componentstatuses", Kind: "ComponentStatus", Verbs: []string{"get", "list"}}
	doc := decode(t, serve(t, New([]*registry.Resource{cs, pods()}, testScheme()).HandlerV2(), http.MethodGet, "/openapi/v2", nil))
	tests := []struct{ path, want string }{
		{"/api/v1/componentstatuses", "list objects of kind ComponentStatus"},
		{"/api/v1/namespaces/{namespace}/pods", "list or watch objects of kind Pod"},
		{"/api/v1/pods", "list or watch objects of kind Pod"},
	}
	for _, tc := range tests {
		if got := doc.lookup("paths", tc.path, "get", "description"); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.path, got, tc.want)
		}
	}
}
