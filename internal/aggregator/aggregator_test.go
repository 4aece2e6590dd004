package aggregator_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

var flunders = schema.GroupVersionResource{Group: fakeGroup, Version: fakeVersion, Resource: "flunders"}

// aggregatedServer runs kapi with fast availability checks and a fake extension
// server registered as v1alpha1.wardle.example.com through an ExternalName Service
// (loopback addresses are not valid endpoints).
type aggregatedServer struct {
	in   *servertest.Instance
	fake *fakeExtension
	kube kubernetes.Interface
}

func startAggregated(t *testing.T) *aggregatedServer {
	t.Helper()
	dataDir := t.TempDir()
	in := servertest.StartWith(t, func(c *server.Config) {
		c.DataDir = dataDir
		c.EnableAggregatorRouting = true
		c.APIServiceProbeInterval = 200 * time.Millisecond
	})
	fake := startFakeExtension(t, filepath.Join(dataDir, "pki", "front-proxy-ca.crt"), "api.wardle.svc")
	kube := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wardle"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	s := &aggregatedServer{in: in, fake: fake, kube: kube}
	s.createService(t)
	s.createAPIService(t, fakeGroup, fakeVersion, "api", s.port(t), fake.caBundle)
	return s
}

func (s *aggregatedServer) port(t *testing.T) int32 {
	_, p, _ := net.SplitHostPort(s.fake.srv.Listener.Addr().String())
	n, err := strconv.Atoi(p)
	if err != nil {
		t.Fatal(err)
	}
	return int32(n)
}

func (s *aggregatedServer) createService(t *testing.T) {
	t.Helper()
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "wardle"},
		Spec: corev1.ServiceSpec{Type: corev1.ServiceTypeExternalName, ExternalName: "127.0.0.1",
			Ports: []corev1.ServicePort{{Name: "https", Port: s.port(t)}}},
	}
	if _, err := s.kube.CoreV1().Services("wardle").Create(context.Background(), svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func (s *aggregatedServer) createAPIService(t *testing.T, group, version, service string, port int32, caBundle []byte) {
	t.Helper()
	obj := &apiregistrationv1.APIService{
		ObjectMeta: metav1.ObjectMeta{Name: version + "." + group},
		Spec: apiregistrationv1.APIServiceSpec{
			Group: group, Version: version, CABundle: caBundle,
			Service:              &apiregistrationv1.ServiceReference{Namespace: "wardle", Name: service, Port: &port},
			GroupPriorityMinimum: 1000, VersionPriority: 15,
		},
	}
	body, _ := json.Marshal(obj)
	resp := s.do(t, s.in.HTTPClient(t), http.MethodPost, "/apis/apiregistration.k8s.io/v1/apiservices", string(body), nil)
	if resp.code != http.StatusCreated {
		t.Fatalf("creating APIService: %d %s", resp.code, resp.body)
	}
}

type response struct {
	code   int
	body   string
	header http.Header
}

func (s *aggregatedServer) do(t *testing.T, c *http.Client, method, path, body string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, s.in.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return response{code: resp.StatusCode, body: string(data), header: resp.Header}
}

// waitAvailable waits for the APIService's Available condition to have status and
// reason, and returns the condition.
func (s *aggregatedServer) waitAvailable(t *testing.T, name string, status apiregistrationv1.ConditionStatus, reason string) apiregistrationv1.APIServiceCondition {
	t.Helper()
	var last apiregistrationv1.APIServiceCondition
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		resp := s.do(t, s.in.HTTPClient(t), http.MethodGet, "/apis/apiregistration.k8s.io/v1/apiservices/"+name, "", nil)
		var svc apiregistrationv1.APIService
		if resp.code == http.StatusOK && json.Unmarshal([]byte(resp.body), &svc) == nil {
			for _, c := range svc.Status.Conditions {
				if c.Type == apiregistrationv1.Available {
					last = c
				}
			}
			if last.Status == status && last.Reason == reason {
				return last
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("APIService %s: Available is %s/%s (%s), want %s/%s", name, last.Status, last.Reason, last.Message, status, reason)
	return last
}

// waitProxied waits until a list through kapi answers want.
func (s *aggregatedServer) waitProxied(t *testing.T, want int) response {
	t.Helper()
	var last response
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		last = s.do(t, s.in.HTTPClient(t), http.MethodGet, "/apis/wardle.example.com/v1alpha1/namespaces/wardle/flunders", "", nil)
		if last.code == want {
			return last
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("list answered %d %s, want %d", last.code, last.body, want)
	return last
}

func TestAggregatedAPI(t *testing.T) {
	s := startAggregated(t)
	cond := s.waitAvailable(t, "v1alpha1.wardle.example.com", apiregistrationv1.ConditionTrue, "Passed")
	if cond.Message != "all checks passed" {
		t.Errorf("message %q", cond.Message)
	}
	s.waitProxied(t, http.StatusOK)

	t.Run("discovery", func(t *testing.T) { testDiscovery(t, s) })
	t.Run("identity", func(t *testing.T) { testForwardedIdentity(t, s) })
	t.Run("openapi v3", func(t *testing.T) { testOpenAPIV3(t, s) })
	t.Run("openapi v2", func(t *testing.T) { testOpenAPIV2(t, s) })
	t.Run("availability", func(t *testing.T) { testAvailability(t, s) })
}

func testDiscovery(t *testing.T, s *aggregatedServer) {
	admin := s.in.HTTPClient(t)
	var groups metav1.APIGroupList
	resp := s.do(t, admin, http.MethodGet, "/apis", "", nil)
	if err := json.Unmarshal([]byte(resp.body), &groups); err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(groups.Groups, func(g metav1.APIGroup) bool { return g.Name == fakeGroup })
	if i < 0 {
		t.Fatalf("/apis does not list %s", fakeGroup)
	}
	if g := groups.Groups[i]; g.PreferredVersion.GroupVersion != fakeGroup+"/"+fakeVersion {
		t.Errorf("preferred version %+v", g.PreferredVersion)
	}
	if resp := s.do(t, admin, http.MethodGet, "/apis/"+fakeGroup, "", nil); resp.code != http.StatusOK || !strings.Contains(resp.body, `"groupVersion":"wardle.example.com/v1alpha1"`) {
		t.Errorf("/apis/%s: %d %s", fakeGroup, resp.code, resp.body)
	}
	// The group version document is the extension server's, proxied.
	if resp := s.do(t, admin, http.MethodGet, "/apis/"+fakeGroup+"/"+fakeVersion, "", nil); resp.code != http.StatusOK || !strings.Contains(resp.body, `"flunders"`) {
		t.Errorf("/apis/%s/%s: %d %s", fakeGroup, fakeVersion, resp.code, resp.body)
	}
	// client-go reads aggregated discovery: the remote resources are in it.
	dc := s.kube.Discovery()
	_, lists, err := dc.ServerGroupsAndResources()
	if err != nil {
		t.Fatalf("discovery: %v", err)
	}
	found := false
	for _, l := range lists {
		if l.GroupVersion == fakeGroup+"/"+fakeVersion {
			found = slices.ContainsFunc(l.APIResources, func(r metav1.APIResource) bool { return r.Name == "flunders" && r.Namespaced })
		}
	}
	if !found {
		t.Errorf("aggregated discovery lacks %s flunders", fakeGroup)
	}
}

func testForwardedIdentity(t *testing.T, s *aggregatedServer) {
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "dev-flunders"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.GroupKind, APIGroup: rbacv1.GroupName, Name: "dev"}},
	}
	if _, err := s.kube.RbacV1().ClusterRoleBindings().Create(context.Background(), binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The RBAC authorizer learns of the binding through a watch.
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp := s.do(t, s.in.HTTPClient(t), http.MethodGet, "/apis/wardle.example.com/v1alpha1/namespaces/wardle/flunders", "", http.Header{"Impersonate-User": {"alice"}, "Impersonate-Group": {"dev"}})
		if resp.code == http.StatusOK {
			break
		}
	}
	cases := []struct {
		name       string
		header     http.Header
		wantUser   string
		wantGroups []string
		wantExtra  map[string][]string
	}{
		{name: "admin", wantUser: "kubernetes-admin", wantGroups: []string{"system:masters", "system:authenticated"}},
		{name: "impersonated user with extra",
			header:     http.Header{"Impersonate-User": {"alice"}, "Impersonate-Group": {"dev"}, "Impersonate-Extra-Example.com%2fscopes": {"read"}},
			wantUser:   "alice",
			wantGroups: []string{"dev", "system:authenticated"},
			wantExtra:  map[string][]string{"Example.com%2fscopes": {"read"}}},
		{name: "caller's own front-proxy headers are replaced",
			header:   http.Header{"X-Remote-User": {"mallory"}, "X-Remote-Group": {"system:masters"}, "X-Remote-Extra-Evil": {"1"}},
			wantUser: "kubernetes-admin", wantGroups: []string{"system:masters", "system:authenticated"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := len(s.fake.requests())
			resp := s.do(t, s.in.HTTPClient(t), http.MethodGet, "/apis/wardle.example.com/v1alpha1/namespaces/wardle/flunders", "", tc.header)
			if resp.code != http.StatusOK {
				t.Fatalf("list: %d %s", resp.code, resp.body)
			}
			if !strings.Contains(resp.body, `"seen-by-`+tc.wantUser+`"`) {
				t.Errorf("body %s does not come from the backend for %s", resp.body, tc.wantUser)
			}
			seen := s.fake.requests()
			if len(seen) != before+1 {
				t.Fatalf("backend saw %d requests, want 1", len(seen)-before)
			}
			got := seen[len(seen)-1]
			if got.User != tc.wantUser || !slices.Equal(got.Groups, tc.wantGroups) {
				t.Errorf("backend saw user %q groups %q, want %q %q", got.User, got.Groups, tc.wantUser, tc.wantGroups)
			}
			for k, v := range tc.wantExtra {
				if !slices.Equal(got.Extra[k], v) {
					t.Errorf("extra %s = %q, want %q (all: %v)", k, got.Extra[k], v, got.Extra)
				}
			}
			if _, ok := got.Extra["Evil"]; ok {
				t.Errorf("the caller's X-Remote-Extra-Evil reached the backend: %v", got.Extra)
			}
			if got.Authorization != "" || got.Impersonate != "" {
				t.Errorf("credentials reached the backend: Authorization %q Impersonate-User %q", got.Authorization, got.Impersonate)
			}
			if got.ClientCN != "front-proxy-client" {
				t.Errorf("client certificate CN %q, want front-proxy-client", got.ClientCN)
			}
		})
	}
	t.Run("dynamic client", func(t *testing.T) {
		dyn := dynamic.NewForConfigOrDie(s.in.Config)
		list, err := dyn.Resource(flunders).Namespace("wardle").List(context.Background(), metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(list.Items) != 1 || list.Items[0].GetName() != "seen-by-kubernetes-admin" {
			t.Errorf("items %v", list.Items)
		}
	})
}

func testOpenAPIV3(t *testing.T, s *aggregatedServer) {
	admin := s.in.HTTPClient(t)
	var list struct {
		Paths map[string]struct {
			URL string `json:"serverRelativeURL"`
		} `json:"paths"`
	}
	resp := s.do(t, admin, http.MethodGet, "/openapi/v3", "", nil)
	if err := json.Unmarshal([]byte(resp.body), &list); err != nil {
		t.Fatalf("%v: %s", err, resp.body)
	}
	entry, ok := list.Paths["apis/"+fakeGroup+"/"+fakeVersion]
	if !ok || !strings.HasPrefix(entry.URL, "/openapi/v3/apis/"+fakeGroup+"/"+fakeVersion+"?hash=") {
		t.Fatalf("/openapi/v3 entry %+v", entry)
	}
	if _, ok := list.Paths["apis/apps/v1"]; !ok {
		t.Error("/openapi/v3 lost the local documents")
	}
	doc := s.do(t, admin, http.MethodGet, entry.URL, "", nil)
	if doc.code != http.StatusOK || !strings.Contains(doc.body, `"title":"wardle"`) {
		t.Errorf("document: %d %s", doc.code, doc.body)
	}
}

func testOpenAPIV2(t *testing.T, s *aggregatedServer) {
	admin := s.in.HTTPClient(t)
	resp := s.do(t, admin, http.MethodGet, "/openapi/v2", "", http.Header{"Accept": {"application/json"}})
	if resp.code != http.StatusOK {
		t.Fatalf("/openapi/v2: %d %.300s", resp.code, resp.body)
	}
	var doc struct {
		Paths       map[string]json.RawMessage `json:"paths"`
		Definitions map[string]json.RawMessage `json:"definitions"`
	}
	if err := json.Unmarshal([]byte(resp.body), &doc); err != nil {
		t.Fatalf("%v: %.300s", err, resp.body)
	}
	for _, tc := range []struct {
		name, kind, key string
		want            bool
	}{
		{"remote path", "path", fakeV2Path, true},
		{"remote definition", "definition", fakeV2Definition, true},
		{"local path", "path", "/apis/apps/v1/namespaces/{namespace}/deployments", true},
		{"local core path", "path", "/api/v1/namespaces", true},
		{"local definition", "definition", "io.k8s.api.apps.v1.Deployment", true},
		{"other group's path", "path", foreignV2Path, false},
		{"other group's definition", "definition", foreignV2Def, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := doc.Paths
			if tc.kind == "definition" {
				m = doc.Definitions
			}
			if _, ok := m[tc.key]; ok != tc.want {
				t.Errorf("%s %q present %v, want %v", tc.kind, tc.key, ok, tc.want)
			}
		})
	}
	if !strings.Contains(string(doc.Definitions[fakeV2Definition]), "wardle flunders") {
		t.Errorf("definition %s", doc.Definitions[fakeV2Definition])
	}

	etag := resp.header.Get("Etag")
	if etag == "" {
		t.Fatal("no Etag")
	}
	local := s.in.HTTPClient(t)
	for _, tc := range []struct {
		name   string
		header http.Header
		code   int
		ctype  string
	}{
		{"revalidated", http.Header{"Accept": {"application/json"}, "If-None-Match": {etag}}, http.StatusNotModified, ""},
		{"stale etag", http.Header{"Accept": {"application/json"}, "If-None-Match": {`"0"`}}, http.StatusOK, "application/json"},
		{"protobuf", http.Header{"Accept": {"application/com.github.proto-openapi.spec.v2.v1.0+protobuf"}}, http.StatusOK, "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := s.do(t, local, http.MethodGet, "/openapi/v2", "", tc.header)
			if got.code != tc.code {
				t.Fatalf("code %d, want %d", got.code, tc.code)
			}
			if tc.ctype != "" && got.header.Get("Content-Type") != tc.ctype {
				t.Errorf("Content-Type %q, want %q", got.header.Get("Content-Type"), tc.ctype)
			}
			if got.header.Get("Etag") != etag {
				t.Errorf("Etag %q, want %q", got.header.Get("Etag"), etag)
			}
			if tc.code == http.StatusOK && !strings.Contains(got.body, fakeV2Path) {
				t.Error("merged document lacks the remote path")
			}
		})
	}
}

func testAvailability(t *testing.T, s *aggregatedServer) {
	ctx := context.Background()
	name := "v1alpha1.wardle.example.com"
	if err := s.kube.CoreV1().Services("wardle").Delete(ctx, "api", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	cond := s.waitAvailable(t, name, apiregistrationv1.ConditionFalse, "ServiceNotFound")
	if cond.Message != `service/api in "wardle" is not present` {
		t.Errorf("message %q", cond.Message)
	}
	// What upstream's AggregatedAPIDown alert reads.
	gauge := func() string {
		t.Helper()
		body, err := s.kube.CoreV1().RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, `aggregator_unavailable_apiservice{name="`+name+`"} `); ok {
				return v
			}
		}
		return "absent"
	}
	if g := gauge(); g != "1" {
		t.Errorf("aggregator_unavailable_apiservice = %s while unavailable, want 1", g)
	}
	resp := s.waitProxied(t, http.StatusServiceUnavailable)
	if strings.TrimSpace(resp.body) != "service unavailable" {
		t.Errorf("503 body %q", resp.body)
	}

	s.createService(t)
	s.waitAvailable(t, name, apiregistrationv1.ConditionTrue, "Passed")
	s.waitProxied(t, http.StatusOK)
	if g := gauge(); g != "0" {
		t.Errorf("aggregator_unavailable_apiservice = %s while available, want 0", g)
	}

	s.fake.srv.Close()
	cond = s.waitAvailable(t, name, apiregistrationv1.ConditionFalse, "FailedDiscoveryCheck")
	if !strings.Contains(cond.Message, "failing or missing response from https://127.0.0.1:") {
		t.Errorf("message %q", cond.Message)
	}
	s.waitProxied(t, http.StatusServiceUnavailable)
}

// TestAvailabilityReasons checks the reasons a ClusterIP Service is found wanting.
func TestAvailabilityReasons(t *testing.T) {
	s := startAggregated(t)
	ctx := context.Background()
	ready, notReady := true, false
	portName := "https"
	port := int32(443)
	cases := []struct {
		name, group string
		service     *corev1.Service
		slice       *discoveryv1.EndpointSlice
		apiPort     int32
		wantReason  string
		wantMessage string
	}{
		{name: "no service", group: "missing.example.com", apiPort: 443, wantReason: "ServiceNotFound",
			wantMessage: `service/missing in "wardle" is not present`},
		{name: "wrong port", group: "port.example.com", apiPort: 8443,
			service:     clusterIPService("port"),
			wantReason:  "ServicePortError",
			wantMessage: `service/port in "wardle" is not listening on port 8443`},
		{name: "no endpointslices", group: "noslices.example.com", apiPort: 443,
			service:     clusterIPService("noslices"),
			wantReason:  "EndpointsNotFound",
			wantMessage: `cannot find endpointslices for service/noslices in "wardle"`},
		{name: "no ready endpoint", group: "notready.example.com", apiPort: 443,
			service: clusterIPService("notready"),
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Name: "notready-1", Namespace: "wardle", Labels: map[string]string{discoveryv1.LabelServiceName: "notready"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				Endpoints:   []discoveryv1.Endpoint{{Addresses: []string{"10.1.2.3"}, Conditions: discoveryv1.EndpointConditions{Ready: &notReady}}},
				Ports:       []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
			},
			wantReason:  "MissingEndpoints",
			wantMessage: `endpointslices for service/notready in "wardle" have no addresses with port name "https"`},
		{name: "unreachable endpoint", group: "unreachable.example.com", apiPort: 443,
			service: clusterIPService("unreachable"),
			slice: &discoveryv1.EndpointSlice{
				ObjectMeta:  metav1.ObjectMeta{Name: "unreachable-1", Namespace: "wardle", Labels: map[string]string{discoveryv1.LabelServiceName: "unreachable"}},
				AddressType: discoveryv1.AddressTypeIPv4,
				// TEST-NET-1 (RFC 5737): routed nowhere.
				Endpoints: []discoveryv1.Endpoint{{Addresses: []string{"192.0.2.1"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}},
				Ports:     []discoveryv1.EndpointPort{{Name: &portName, Port: &port}},
			},
			wantReason: "FailedDiscoveryCheck"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.service != nil {
				if _, err := s.kube.CoreV1().Services("wardle").Create(ctx, tc.service, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if tc.slice != nil {
				if _, err := s.kube.DiscoveryV1().EndpointSlices("wardle").Create(ctx, tc.slice, metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			svcName := strings.TrimSuffix(tc.group, ".example.com")
			s.createAPIService(t, tc.group, "v1", svcName, tc.apiPort, nil)
			cond := s.waitAvailable(t, "v1."+tc.group, apiregistrationv1.ConditionFalse, tc.wantReason)
			if tc.wantMessage != "" && cond.Message != tc.wantMessage {
				t.Errorf("message %q, want %q", cond.Message, tc.wantMessage)
			}
			resp := s.do(t, s.in.HTTPClient(t), http.MethodGet, fmt.Sprintf("/apis/%s/v1/things", tc.group), "", nil)
			if resp.code != http.StatusServiceUnavailable {
				t.Errorf("request to an unavailable APIService: %d %s", resp.code, resp.body)
			}
		})
	}
}

func clusterIPService(name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "wardle"},
		Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Name: "https", Port: 443}}},
	}
}
