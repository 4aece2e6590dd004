package openapi

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"unicode"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/kube-openapi/pkg/common"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Extension names upstream puts on operations.
const (
	extAction = "x-kubernetes-action"
	extGVK    = "x-kubernetes-group-version-kind"
)

// Media types of kapi's responses and request bodies.
var (
	mediaTypes      = []string{"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
	watchMediaTypes = []string{"application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"}
	patchMediaTypes = []string{
		"application/json-patch+json",
		"application/merge-patch+json",
		"application/strategic-merge-patch+json",
		"application/apply-patch+yaml",
	}
	anyMediaType = []string{"*/*"}
)

// routeBuilder turns registrations into route containers, one per root path.
type routeBuilder struct {
	scheme *runtime.Scheme
	params paramSets
	// containers by root path, filled by add.
	containers map[string]*container
}

// buildContainers returns the route containers for resources plus the discovery and
// version endpoints, sorted by root path so builds are reproducible. A resource the
// scheme cannot describe is left out and reported in the error; the rest are built.
func buildContainers(resources []*registry.Resource, scheme *runtime.Scheme) ([]common.RouteContainer, error) {
	b := &routeBuilder{scheme: scheme, params: newParamSets(), containers: map[string]*container{}}

	groups := map[string]bool{}
	var errs []error
	for _, r := range resources {
		routes, err := b.resourceRoutes(r)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gv := r.GroupVersion
		root := gvRoot(gv)
		if _, ok := b.containers[root]; !ok {
			b.add(root, b.resourceListRoute(gv))
		}
		if gv.Group != "" && !groups[gv.Group] {
			groups[gv.Group] = true
			b.add("/apis/"+gv.Group, b.groupRoute(gv.Group))
		}
		b.add(root, routes...)
	}
	b.add("/api", discoveryRoute("/api/", "getCoreAPIVersions", "core", "get available API versions", &metav1.APIVersions{}))
	b.add("/apis", discoveryRoute("/apis/", "getAPIVersions", "apis", "get available API versions", &metav1.APIGroupList{}))
	b.add("/version", &route{
		method:      http.MethodGet,
		path:        "/version/",
		id:          "getCodeVersion",
		tags:        []string{"version"},
		description: "get the version information for this server",
		consumes:    []string{"application/json"},
		produces:    []string{"application/json"},
		responses:   []common.StatusCodeResponse{&response{http.StatusOK, "OK", &version.Info{}}},
	})

	b.add("/.well-known/openid-configuration", &route{
		method:      http.MethodGet,
		path:        "/.well-known/openid-configuration/",
		id:          "getServiceAccountIssuerOpenIDConfiguration",
		tags:        []string{"WellKnown"},
		description: "get service account issuer OpenID configuration, also known as the 'OIDC discovery doc'",
		produces:    []string{"application/json"},
		responses:   []common.StatusCodeResponse{&response{http.StatusOK, "OK", ""}},
	})
	b.add("/openid/v1/jwks", &route{
		method:      http.MethodGet,
		path:        "/openid/v1/jwks/",
		id:          "getServiceAccountIssuerOpenIDKeyset",
		tags:        []string{"openid"},
		description: "get service account issuer OpenID JSON Web Key Set (contains public token verification keys)",
		produces:    []string{"application/jwk-set+json"},
		responses:   []common.StatusCodeResponse{&response{http.StatusOK, "OK", ""}},
	})

	roots := make([]string, 0, len(b.containers))
	for root := range b.containers {
		roots = append(roots, root)
	}
	sort.Strings(roots)
	out := make([]common.RouteContainer, 0, len(roots))
	for _, root := range roots {
		out = append(out, b.containers[root])
	}
	return out, errors.Join(errs...)
}

// staticDocNames names the documents buildContainers makes of resources (without
// building them): each group version's, each group's, and the discovery and
// version documents.
func staticDocNames(resources []*registry.Resource) map[string]bool {
	names := map[string]bool{"api": true, "apis": true, "version": true,
		".well-known/openid-configuration": true, "openid/v1/jwks": true}
	for _, r := range resources {
		names[docName(r.GroupVersion)] = true
		if r.GroupVersion.Group != "" {
			names["apis/"+r.GroupVersion.Group] = true
		}
	}
	return names
}

func (b *routeBuilder) add(root string, routes ...*route) {
	c, ok := b.containers[root]
	if !ok {
		c = &container{root: root}
		b.containers[root] = c
	}
	for _, r := range routes {
		c.routes = append(c.routes, r)
	}
}

// gvRoot is the URL prefix of a group version: /api/v1 or /apis/<group>/<version>.
func gvRoot(gv schema.GroupVersion) string {
	if gv.Group == "" {
		return "/api/" + gv.Version
	}
	return "/apis/" + gv.Group + "/" + gv.Version
}

func discoveryRoute(path, id, tag, description string, model any) *route {
	return &route{
		method:      http.MethodGet,
		path:        path,
		id:          id,
		tags:        []string{tag},
		description: description,
		consumes:    mediaTypes,
		produces:    mediaTypes,
		responses:   []common.StatusCodeResponse{&response{http.StatusOK, "OK", model}},
	}
}

func (b *routeBuilder) groupRoute(group string) *route {
	g := groupPart(group)
	return discoveryRoute("/apis/"+group+"/", "get"+camel(g, true)+"APIGroup", camel(g, false),
		"get information of a group", &metav1.APIGroup{})
}

func (b *routeBuilder) resourceListRoute(gv schema.GroupVersion) *route {
	prefix, tag := gvNames(gv)
	return discoveryRoute(gvRoot(gv)+"/", "get"+prefix+"APIResources", tag,
		"get available resources", &metav1.APIResourceList{})
}

// groupPart is the group as upstream names it in operation IDs: "core" for the
// legacy group, the group without ".k8s.io" otherwise.
func groupPart(group string) string {
	if group == "" {
		return "core"
	}
	return strings.TrimSuffix(group, ".k8s.io")
}

// gvNames returns the operation ID infix ("CoreV1", "RbacAuthorizationV1") and the
// tag ("core_v1", "rbacAuthorization_v1") of a group version.
func gvNames(gv schema.GroupVersion) (infix, tag string) {
	g := groupPart(gv.Group)
	return camel(g, true) + camel(gv.Version, true), camel(g, false) + "_" + camel(gv.Version, false)
}

// camel drops punctuation and upper-cases the letter after it, as upstream makes
// operation IDs from paths: "rbac.authorization" becomes "RbacAuthorization".
func camel(s string, upperFirst bool) string {
	var sb strings.Builder
	up := upperFirst
	for i, r := range s {
		if unicode.IsLetter(r) || r == '_' || (i != 0 && unicode.IsDigit(r)) {
			if up {
				r = unicode.ToUpper(r)
				up = false
			}
			sb.WriteRune(r)
		} else {
			up = true
		}
	}
	return sb.String()
}

// article is what upstream puts before a kind in descriptions: none for plural
// looking kinds ("create Endpoints", but "Class" and "Ingress" are singular), "an"
// before a vowel, "a" otherwise.
func article(kind string) string {
	switch {
	case kind == "":
		return " "
	case len(kind) > 1 && kind[len(kind)-1] == 's' && kind[len(kind)-2] != 's':
		return " "
	case strings.ContainsRune("AEIOUaeiou", rune(kind[0])):
		return " an "
	default:
		return " a "
	}
}

// endpoint is one resource path (the resource or a subresource) with what its
// operations share: the object type, the kind used in names and the GVK extension.
type endpoint struct {
	res       *registry.Resource
	infix     string // "CoreV1"
	tag       string // "core_v1"
	scope     string // "Namespaced" or ""
	sub       string // "" for the main resource, else "status" or "scale"
	gvk       schema.GroupVersionKind
	nameParam *param
}

func (e *endpoint) id(verb, suffix string) string {
	return verb + e.infix + suffix
}

// kindName is the kind plus the subresource, as in "NamespacedPodStatus".
func (e *endpoint) kindName() string {
	return e.scope + e.res.Kind + camel(e.sub, true)
}

func (e *endpoint) op(method, path, id, action, description string, params []*param, body any) *route {
	r := &route{
		method:      method,
		path:        path,
		id:          id,
		tags:        []string{e.tag},
		description: description,
		consumes:    anyMediaType,
		produces:    mediaTypes,
		body:        body,
		metadata: map[string]any{
			extAction: action,
			extGVK:    map[string]string{"group": e.gvk.Group, "version": e.gvk.Version, "kind": e.gvk.Kind},
		},
	}
	r.params = append(r.params, &param{name: "pretty", description: prettyDescription, kind: common.QueryParameterKind, dataType: "string"})
	if e.scope != "" {
		r.params = append(r.params, pathParam("namespace", namespaceDescription))
	}
	if strings.HasSuffix(path, "{name}") || strings.Contains(path, "{name}/") {
		r.params = append(r.params, e.nameParam)
	}
	if body != nil {
		r.params = append(r.params, bodyParam(method != http.MethodDelete))
	}
	for _, p := range params {
		r.params = append(r.params, p)
	}
	return r
}

// listDescription describes a list operation, which watches only when the
// resource serves watch.
func listDescription(watch bool, kind string) string {
	if watch {
		return "list or watch objects of kind " + kind
	}
	return "list objects of kind " + kind
}

// responses lists the status codes of an operation; all of them carry model.
func responses(model any, codes ...int) []common.StatusCodeResponse {
	out := make([]common.StatusCodeResponse, 0, len(codes))
	for _, code := range codes {
		out = append(out, &response{code: code, message: http.StatusText(code), model: model})
	}
	return out
}

// resourceRoutes returns every operation of one resource: collection and item paths,
// the all-namespaces list, the deprecated watch paths, and the status and scale
// subresources, each present only when the resource serves the verb.
func (b *routeBuilder) resourceRoutes(res *registry.Resource) ([]*route, error) {
	gvk := res.GroupVersionKind()
	obj, err := b.scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("openapi: resource %s: %w", res.GroupVersionResource(), err)
	}
	verbs := res.Verbs
	if verbs == nil {
		verbs = registry.DefaultVerbs
	}
	has := func(v string) bool { return contains(verbs, v) }
	var list runtime.Object
	if has("list") || has("watch") {
		if list, err = b.scheme.New(gvk.GroupVersion().WithKind(res.Kind + "List")); err != nil {
			return nil, fmt.Errorf("openapi: resource %s: %w", res.GroupVersionResource(), err)
		}
	}

	infix, tag := gvNames(res.GroupVersion)
	root := gvRoot(res.GroupVersion)
	collection := root + "/" + res.Name
	watchCollection := root + "/watch/" + res.Name
	scope := ""
	if res.Namespaced {
		scope = "Namespaced"
		collection = root + "/namespaces/{namespace}/" + res.Name
		watchCollection = root + "/watch/namespaces/{namespace}/" + res.Name
	}
	item := collection + "/{name}"
	main := &endpoint{res: res, infix: infix, tag: tag, scope: scope, gvk: gvk,
		nameParam: pathParam("name", "name of the "+res.Kind)}
	kind := res.Kind
	status := &metav1.Status{}
	p := b.params

	var out []*route
	if has("list") {
		r := main.op(http.MethodGet, collection, main.id("list", main.kindName()), "list",
			listDescription(has("watch"), kind), p.list, nil)
		r.produces = append(append([]string{}, mediaTypes...), watchMediaTypes...)
		r.responses = responses(list, http.StatusOK)
		out = append(out, r)
	}
	if has("create") {
		r := main.op(http.MethodPost, collection, main.id("create", main.kindName()), "post",
			"create"+article(kind)+kind, p.create, obj)
		r.responses = responses(obj, http.StatusOK, http.StatusCreated, http.StatusAccepted)
		out = append(out, r)
	}
	if has("deletecollection") {
		r := main.op(http.MethodDelete, collection, main.id("delete", "Collection"+main.kindName()), "deletecollection",
			"delete collection of "+kind, p.deleteCollection, &metav1.DeleteOptions{})
		r.responses = responses(status, http.StatusOK)
		out = append(out, r)
	}
	if has("get") {
		r := main.op(http.MethodGet, item, main.id("read", main.kindName()), "get",
			"read the specified "+kind, nil, nil)
		r.responses = responses(obj, http.StatusOK)
		out = append(out, r)
	}
	if has("update") {
		r := main.op(http.MethodPut, item, main.id("replace", main.kindName()), "put",
			"replace the specified "+kind, p.update, obj)
		r.responses = responses(obj, http.StatusOK, http.StatusCreated)
		out = append(out, r)
	}
	if has("patch") {
		r := main.op(http.MethodPatch, item, main.id("patch", main.kindName()), "patch",
			"partially update the specified "+kind, p.patch, &metav1.Patch{})
		r.consumes = patchMediaTypes
		r.responses = responses(obj, http.StatusOK, http.StatusCreated)
		out = append(out, r)
	}
	if has("delete") {
		var deleted any = status
		// Upstream's Namespace storage is not its generic store, whose
		// ReturnDeletedObject the OpenAPI builder reads, so it documents a Status.
		if res.ReturnDeletedObject && !(res.GroupVersion.Group == "" && res.Name == "namespaces") {
			deleted = obj
		}
		r := main.op(http.MethodDelete, item, main.id("delete", main.kindName()), "delete",
			"delete"+article(kind)+kind, p.del, &metav1.DeleteOptions{})
		r.responses = responses(deleted, http.StatusOK, http.StatusAccepted)
		out = append(out, r)
	}
	if has("watch") {
		watchProduces := append(append([]string{}, mediaTypes...), watchMediaTypes...)
		event := &metav1.WatchEvent{}
		r := main.op(http.MethodGet, watchCollection+"/{name}", main.id("watch", main.kindName()), "watch",
			"watch changes to an object of kind "+kind+". deprecated: use the 'watch' parameter with a list operation instead, filtered to a single item with the 'fieldSelector' parameter.",
			p.list, nil)
		r.produces, r.responses = watchProduces, responses(event, http.StatusOK)
		out = append(out, r)
		r = main.op(http.MethodGet, watchCollection, main.id("watch", main.kindName()+"List"), "watchlist",
			"watch individual changes to a list of "+kind+". deprecated: use the 'watch' parameter with a list operation instead.",
			p.list, nil)
		r.produces, r.responses = watchProduces, responses(event, http.StatusOK)
		out = append(out, r)
	}
	if res.Namespaced {
		// The all-namespaces paths carry no namespace parameter.
		all := &endpoint{res: res, infix: infix, tag: tag, gvk: gvk}
		if has("list") {
			r := all.op(http.MethodGet, root+"/"+res.Name, all.id("list", kind+"ForAllNamespaces"), "list",
				listDescription(has("watch"), kind), p.list, nil)
			r.produces = append(append([]string{}, mediaTypes...), watchMediaTypes...)
			r.responses = responses(list, http.StatusOK)
			out = append(out, r)
		}
		if has("watch") {
			r := all.op(http.MethodGet, root+"/watch/"+res.Name, all.id("watch", kind+"ListForAllNamespaces"), "watchlist",
				"watch individual changes to a list of "+kind+". deprecated: use the 'watch' parameter with a list operation instead.",
				p.list, nil)
			r.produces = append(append([]string{}, mediaTypes...), watchMediaTypes...)
			r.responses = responses(&metav1.WatchEvent{}, http.StatusOK)
			out = append(out, r)
		}
	}
	if res.Status {
		sub := *main
		sub.sub = "status"
		out = append(out, b.subresourceRoutes(&sub, item+"/status", obj)...)
	}
	if res.Scale != nil {
		sub := *main
		sub.sub = "scale"
		sub.gvk = autoscalingv1.SchemeGroupVersion.WithKind("Scale")
		sub.nameParam = pathParam("name", "name of the Scale")
		out = append(out, b.subresourceRoutes(&sub, item+"/scale", &autoscalingv1.Scale{})...)
	}
	others, err := b.otherSubresourceRoutes(main, item, obj)
	if err != nil {
		return nil, err
	}
	return append(out, others...), nil
}

// subresourceRoutes returns get, replace and patch of a status or scale subresource.
func (b *routeBuilder) subresourceRoutes(e *endpoint, path string, obj any) []*route {
	of := " " + e.sub + " of the specified " + e.res.Kind
	get := e.op(http.MethodGet, path, e.id("read", e.kindName()), "get", "read"+of, nil, nil)
	get.responses = responses(obj, http.StatusOK)
	put := e.op(http.MethodPut, path, e.id("replace", e.kindName()), "put", "replace"+of, b.params.update, obj)
	put.responses = responses(obj, http.StatusOK, http.StatusCreated)
	patch := e.op(http.MethodPatch, path, e.id("patch", e.kindName()), "patch", "partially update"+of, b.params.patch, &metav1.Patch{})
	patch.consumes = patchMediaTypes
	patch.responses = responses(obj, http.StatusOK, http.StatusCreated)
	return []*route{get, put, patch}
}
