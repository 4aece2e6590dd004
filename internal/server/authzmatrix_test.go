package server_test

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// matrixRequest is one verb on one path of the API.
type matrixRequest struct {
	method, path, body string
	attrs              authorizationv1.ResourceAttributes
}

// apiMatrix lists a request for every verb of every resource and subresource the
// server's discovery advertises.
func apiMatrix(t *testing.T, cs *kubernetes.Clientset) []matrixRequest {
	t.Helper()
	_, lists, err := cs.Discovery().ServerGroupsAndResources()
	if err != nil {
		t.Fatal(err)
	}
	var out []matrixRequest
	for _, list := range lists {
		gv, _ := schemaGroupVersion(list.GroupVersion)
		prefix := "/apis/" + list.GroupVersion
		if gv.group == "" {
			prefix = "/api/" + list.GroupVersion
		}
		for _, r := range list.APIResources {
			resource, sub, _ := strings.Cut(r.Name, "/")
			ns := ""
			base := prefix
			if r.Namespaced {
				ns = "matrix"
				base += "/namespaces/matrix"
			}
			collection := base + "/" + resource
			item := collection + "/obj"
			if sub != "" {
				item += "/" + sub
			}
			attrs := authorizationv1.ResourceAttributes{Namespace: ns, Group: gv.group, Version: gv.version, Resource: resource, Subresource: sub}
			for _, verb := range r.Verbs {
				a := attrs
				a.Verb = verb
				req := matrixRequest{attrs: a}
				switch verb {
				case "get":
					req.method, req.path = http.MethodGet, item
					a.Name = "obj"
				case "list":
					req.method, req.path = http.MethodGet, collection
				case "watch":
					req.method, req.path = http.MethodGet, collection+"?watch=1&timeoutSeconds=1"
				case "create":
					req.method, req.path, req.body = http.MethodPost, collection, "{}"
					if sub != "" {
						req.path = item
						a.Name = "obj"
					}
				case "update":
					req.method, req.path, req.body = http.MethodPut, item, "{}"
					a.Name = "obj"
				case "patch":
					req.method, req.path, req.body = http.MethodPatch, item, "{}"
					a.Name = "obj"
				case "delete":
					req.method, req.path = http.MethodDelete, item
					a.Name = "obj"
				case "deletecollection":
					req.method, req.path = http.MethodDelete, collection
				default:
					continue
				}
				req.attrs = a
				if req.method != http.MethodGet {
					// Nothing changes: the matrix deletes collections as the admin.
					req.path += "?dryRun=All"
				}
				out = append(out, req)
			}
		}
	}
	return out
}

type groupVersion struct{ group, version string }

func schemaGroupVersion(s string) (groupVersion, error) {
	g, v, ok := strings.Cut(s, "/")
	if !ok {
		return groupVersion{"", s}, nil
	}
	return groupVersion{g, v}, nil
}

// nonResourcePaths are the non-resource paths the server serves.
var nonResourcePaths = []string{"/api", "/api/v1", "/apis", "/apis/apps", "/apis/apps/v1", "/openapi/v2", "/openapi/v3",
	"/openapi/v3/api/v1", "/version", "/healthz", "/livez", "/readyz", "/healthz/etcd", "/livez/ping", "/readyz/etcd"}

// publicPaths are what upstream's default policy lets anonymous users read.
var publicPaths = []string{"/healthz", "/livez", "/readyz", "/version"}

func do(t *testing.T, c *http.Client, base string, req matrixRequest, token string) (int, string) {
	t.Helper()
	r, err := http.NewRequest(req.method, base+req.path, strings.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	if req.body != "" {
		r.Header.Set("Content-Type", "application/merge-patch+json")
		if req.method != http.MethodPatch {
			r.Header.Set("Content-Type", "application/json")
		}
	}
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body)
}

// TestAuthorizationMatrix drives every verb of every served path as four callers:
// a bad token (401), anonymous (403 outside the public paths), an authenticated user
// without bindings (403 exactly where a SelfSubjectAccessReview says no) and the
// admin (never refused).
func TestAuthorizationMatrix(t *testing.T) {
	if testing.Short() {
		t.Skip("drives every path of the API")
	}
	tokens := writeFile(t, "tokens.csv", "bob-token,bob,2001\n")
	in := servertest.StartWith(t, func(c *server.Config) {
		c.AuthorizationModes = []string{"Node", "RBAC"}
		c.TokenAuthFile = tokens
	})
	admin := kubernetes.NewForConfigOrDie(in.Config)
	bobCfg := rest.AnonymousClientConfig(in.Config)
	bobCfg.BearerToken = "bob-token"
	bob := kubernetes.NewForConfigOrDie(bobCfg)
	anon := in.AnonymousClient(t)
	adminHTTP := in.HTTPClient(t)
	requests := apiMatrix(t, admin)
	if len(requests) < 300 {
		t.Fatalf("only %d requests in the matrix; discovery looks incomplete", len(requests))
	}
	for _, p := range nonResourcePaths {
		requests = append(requests, matrixRequest{method: http.MethodGet, path: p})
	}
	for _, req := range requests {
		name := req.method + " " + req.path
		t.Run(name, func(t *testing.T) {
			if code, body := do(t, anon, in.URL, req, "not-a-token"); code != http.StatusUnauthorized {
				t.Errorf("bad token: %d %s, want 401", code, body)
			}
			code, body := do(t, anon, in.URL, req, "")
			public := req.attrs.Resource == "" && slices.Contains(publicPaths, req.path)
			if public != (code != http.StatusForbidden) {
				t.Errorf("anonymous: %d %s (public path: %v)", code, body, public)
			}
			if code == http.StatusUnauthorized {
				t.Errorf("anonymous: 401, want anonymous requests authenticated as system:anonymous")
			}
			allowed := bobMayDo(t, bob, req)
			code, body = do(t, anon, in.URL, req, "bob-token")
			if allowed == (code == http.StatusForbidden) || code == http.StatusUnauthorized {
				t.Errorf("bob: %d %s, review says allowed=%v", code, body, allowed)
			}
			if code == http.StatusForbidden && !strings.Contains(body, `User \"bob\" cannot `+forbiddenVerb(req)) {
				t.Errorf("bob's 403 does not say what was refused: %s", body)
			}
			if code, body := do(t, adminHTTP, in.URL, req, ""); code == http.StatusForbidden || code == http.StatusUnauthorized {
				t.Errorf("admin: %d %s", code, body)
			}
		})
	}
}

func forbiddenVerb(req matrixRequest) string {
	if req.attrs.Verb == "" {
		return "get path"
	}
	return req.attrs.Verb + " resource"
}

// bobMayDo asks the server whether bob may make the request.
func bobMayDo(t *testing.T, bob *kubernetes.Clientset, req matrixRequest) bool {
	t.Helper()
	spec := authorizationv1.SelfSubjectAccessReviewSpec{}
	if req.attrs.Verb == "" {
		spec.NonResourceAttributes = &authorizationv1.NonResourceAttributes{Path: req.path, Verb: "get"}
	} else {
		a := req.attrs
		spec.ResourceAttributes = &a
	}
	r, err := bob.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(), &authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("self review: %v", err)
	}
	return r.Status.Allowed
}
