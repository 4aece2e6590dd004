package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// openAPIOperation is the part of an OpenAPI v3 operation the test reads.
type openAPIOperation struct {
	OperationID string            `json:"operationId"`
	Description string            `json:"description"`
	Action      string            `json:"x-kubernetes-action"`
	GVK         map[string]string `json:"x-kubernetes-group-version-kind"`
	Parameters  []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]struct {
		Content map[string]json.RawMessage `json:"content"`
	} `json:"responses"`
}

type openAPIPath map[string]json.RawMessage

// TestOpenAPISubresources: the v3 documents describe every subresource kapi
// serves, as kube-apiserver v1.37 does (checked against its documents): connect
// operations per method with their options as query parameters (and the proxies'
// {path} variants), pods/log as a read with options, the creating subresources with
// their own kind, and the updating ones with their parent's; the service account
// issuer documents are listed, and info.version is the emulated version.
func TestOpenAPISubresources(t *testing.T) {
	in := servertest.Start(t)
	client := in.HTTPClient(t)
	getDoc := func(t *testing.T, name string, into any) {
		t.Helper()
		code, _, body := fetch(t, client, in.URL+"/openapi/v3/"+name)
		if code != http.StatusOK {
			t.Fatalf("GET /openapi/v3/%s: %d %.300s", name, code, body)
		}
		if err := json.Unmarshal([]byte(body), into); err != nil {
			t.Fatal(err)
		}
	}
	type document struct {
		Info  struct{ Version string } `json:"info"`
		Paths map[string]openAPIPath   `json:"paths"`
	}
	var core, certificates document
	getDoc(t, "api/v1", &core)
	getDoc(t, "apis/certificates.k8s.io/v1", &certificates)

	const pod = "/api/v1/namespaces/{namespace}/pods/{name}"
	tests := []struct {
		name, path, method string
		doc                *document
		id, action, kind   string
		params             []string // parameters the operation must take, path or query
		responseType       string   // a media type of the 200 response
	}{
		{"exec over GET", pod + "/exec", "get", &core, "connectCoreV1GetNamespacedPodExec", "connect", "PodExecOptions",
			[]string{"command", "container", "stdin", "tty", "name", "namespace"}, "*/*"},
		{"attach over POST", pod + "/attach", "post", &core, "connectCoreV1PostNamespacedPodAttach", "connect", "PodAttachOptions",
			[]string{"container", "stdout"}, "*/*"},
		{"port forward", pod + "/portforward", "get", &core, "connectCoreV1GetNamespacedPodPortforward", "connect", "PodPortForwardOptions",
			[]string{"ports"}, "*/*"},
		{"pod proxy", pod + "/proxy", "options", &core, "connectCoreV1OptionsNamespacedPodProxy", "connect", "PodProxyOptions",
			[]string{"path"}, "*/*"},
		{"pod proxy with path", pod + "/proxy/{path}", "patch", &core, "connectCoreV1PatchNamespacedPodProxyWithPath", "connect", "PodProxyOptions",
			[]string{"path", "name", "namespace"}, "*/*"},
		{"node proxy with path", "/api/v1/nodes/{name}/proxy/{path}", "head", &core, "connectCoreV1HeadNodeProxyWithPath", "connect", "NodeProxyOptions",
			[]string{"path", "name"}, "*/*"},
		{"service proxy", "/api/v1/namespaces/{namespace}/services/{name}/proxy", "delete", &core, "connectCoreV1DeleteNamespacedServiceProxy", "connect", "ServiceProxyOptions",
			[]string{"path"}, "*/*"},
		{"pod log", pod + "/log", "get", &core, "readCoreV1NamespacedPodLog", "get", "Pod",
			[]string{"container", "follow", "tailLines", "limitBytes", "pretty"}, "text/plain"},
		{"binding", pod + "/binding", "post", &core, "createCoreV1NamespacedPodBinding", "post", "Binding",
			[]string{"dryRun", "fieldManager"}, "application/json"},
		{"eviction", pod + "/eviction", "post", &core, "createCoreV1NamespacedPodEviction", "post", "Eviction",
			[]string{"dryRun"}, "application/json"},
		{"service account token", "/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", "post", &core,
			"createCoreV1NamespacedServiceAccountToken", "post", "TokenRequest", []string{"dryRun"}, "application/json"},
		{"namespace finalize", "/api/v1/namespaces/{name}/finalize", "put", &core, "replaceCoreV1NamespaceFinalize", "put", "Namespace",
			[]string{"dryRun", "fieldValidation"}, "application/json"},
		{"pod resize patch", pod + "/resize", "patch", &core, "patchCoreV1NamespacedPodResize", "patch", "Pod",
			[]string{"force"}, "application/json"},
		{"ephemeral containers read", pod + "/ephemeralcontainers", "get", &core, "readCoreV1NamespacedPodEphemeralcontainers", "get", "Pod",
			nil, "application/json"},
		{"csr approval replace", "/apis/certificates.k8s.io/v1/certificatesigningrequests/{name}/approval", "put", &certificates,
			"replaceCertificatesV1CertificateSigningRequestApproval", "put", "CertificateSigningRequest", []string{"dryRun"}, "application/json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			item, ok := tc.doc.Paths[tc.path]
			if !ok {
				t.Fatalf("%s is not described", tc.path)
			}
			var op openAPIOperation
			if err := json.Unmarshal(item[tc.method], &op); err != nil || op.OperationID == "" {
				t.Fatalf("%s has no %s operation (%v)", tc.path, tc.method, err)
			}
			if op.OperationID != tc.id || op.Action != tc.action || op.GVK["kind"] != tc.kind {
				t.Errorf("operation %s, action %s, kind %s; want %s, %s, %s", op.OperationID, op.Action, op.GVK["kind"], tc.id, tc.action, tc.kind)
			}
			// Parameters shared by a path's operations sit on the path.
			var shared []struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(item["parameters"], &shared)
			var names []string
			for _, p := range shared {
				names = append(names, p.Name)
			}
			for _, p := range op.Parameters {
				names = append(names, p.Name)
			}
			for _, want := range tc.params {
				if !slices.Contains(names, want) {
					t.Errorf("parameters %v lack %s", names, want)
				}
			}
			if tc.action == "connect" && slices.Contains(names, "pretty") {
				t.Errorf("connect operation takes pretty: %v", names)
			}
			if _, ok := op.Responses["200"].Content[tc.responseType]; !ok {
				t.Errorf("200 response media types %v lack %s", op.Responses["200"].Content, tc.responseType)
			}
		})
	}

	t.Run("documents and version", func(t *testing.T) {
		var index struct {
			Paths map[string]json.RawMessage `json:"paths"`
		}
		getDoc(t, "", &index)
		for _, name := range []string{".well-known/openid-configuration", "openid/v1/jwks", "api/v1", "version"} {
			if _, ok := index.Paths[name]; !ok {
				t.Errorf("/openapi/v3 does not list %s", name)
			}
		}
		var jwks document
		getDoc(t, "openid/v1/jwks", &jwks)
		if _, ok := jwks.Paths["/openid/v1/jwks/"]; !ok {
			t.Errorf("openid/v1/jwks describes %v", jwks.Paths)
		}
		if core.Info.Version != "1.37" {
			t.Errorf("info.version %q, want the emulated version 1.37", core.Info.Version)
		}
	})
}
