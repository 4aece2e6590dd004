package openapi

import (
	"net/http"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/apiextensions/crdopenapi"
)

// Media types of custom resource operations: custom resources speak JSON and YAML
// only, and take no strategic merge patch.
var (
	crdMediaTypes      = []string{"application/json", "application/yaml"}
	crdPatchMediaTypes = []string{
		"application/json-patch+json",
		"application/merge-patch+json",
		"application/apply-patch+yaml",
	}
)

// crdModel stands for a custom kind in routes: the builders name a route's body and
// responses after their sample, and custom kinds have no Go type to name.
type crdModel string

func (m crdModel) OpenAPIModelName() string { return string(m) }

// crdRoutes returns the operations upstream describes for one served version of a
// CRD: list (and list across namespaces), create, delete collection, read, replace,
// delete and patch, plus read, replace and patch of status and scale when the
// version has them. Custom resources have no watch paths in OpenAPI.
func (b *routeBuilder) crdRoutes(crd *apiextensionsv1.CustomResourceDefinition, version string) []*route {
	v := crdopenapi.FindVersion(crd, version)
	if v == nil {
		return nil
	}
	names := crd.Spec.Names
	gv := schema.GroupVersion{Group: crd.Spec.Group, Version: version}
	infix, tag := gvNames(gv)
	kind := names.Kind
	obj := crdModel(crdopenapi.ModelName(gv.Group, gv.Version, kind))
	list := crdModel(crdopenapi.ModelName(gv.Group, gv.Version, names.ListKind))
	status := &metav1.Status{}

	root := gvRoot(gv)
	collection := root + "/" + names.Plural
	e := &endpoint{infix: infix, tag: tag, gvk: gv.WithKind(kind), nameParam: pathParam("name", "name of the "+kind)}
	namespaced := crd.Spec.Scope == apiextensionsv1.NamespaceScoped
	if namespaced {
		e.scope = "Namespaced"
		collection = root + "/namespaces/{namespace}/" + names.Plural
	}
	item := collection + "/{name}"
	p := b.params
	getParams := optionParams(metav1.GetOptions{})

	// op makes one operation with upstream's media types for custom resources.
	// name is what follows the verb and the group version in the operation ID.
	op := func(method, path, verb, name, action, description string, params []*param, body any, model any, codes ...int) *route {
		r := e.op(method, path, e.id(verb, name), action, description, params, body)
		r.consumes, r.produces = crdMediaTypes, crdMediaTypes
		if method == http.MethodPatch {
			r.consumes = crdPatchMediaTypes
		}
		r.responses = responses(model, codes...)
		return r
	}

	var out []*route
	if namespaced {
		// The list across namespaces takes no namespace.
		all := *e
		all.scope = ""
		r := all.op(http.MethodGet, root+"/"+names.Plural, all.id("list", kind+"ForAllNamespaces"), "list",
			"list objects of kind "+kind, p.list, nil)
		r.consumes, r.produces = crdMediaTypes, crdMediaTypes
		r.responses = responses(list, http.StatusOK)
		out = append(out, r)
	}
	out = append(out,
		op(http.MethodGet, collection, "list", e.scope+kind, "list", "list objects of kind "+kind, p.list, nil, list, http.StatusOK),
		op(http.MethodPost, collection, "create", e.scope+kind, "post", "create"+article(kind)+kind, p.create, obj, obj,
			http.StatusOK, http.StatusCreated, http.StatusAccepted),
		op(http.MethodDelete, collection, "delete", "Collection"+e.scope+kind, "deletecollection", "delete collection of "+kind, p.list, nil, status, http.StatusOK),
		op(http.MethodGet, item, "read", e.scope+kind, "get", "read the specified "+kind, getParams, nil, obj, http.StatusOK),
		op(http.MethodPut, item, "replace", e.scope+kind, "put", "replace the specified "+kind, p.update, obj, obj, http.StatusOK, http.StatusCreated),
		op(http.MethodDelete, item, "delete", e.scope+kind, "delete", "delete"+article(kind)+kind, p.del, &metav1.DeleteOptions{}, status,
			http.StatusOK, http.StatusAccepted),
		op(http.MethodPatch, item, "patch", e.scope+kind, "patch", "partially update the specified "+kind, p.patch, &metav1.Patch{}, obj, http.StatusOK),
	)
	if v.Subresources != nil && v.Subresources.Status != nil {
		out = append(out, crdSubresourceRoutes(op, item, "status", e.scope+kind, kind, getParams, p, obj)...)
	}
	if v.Subresources != nil && v.Subresources.Scale != nil {
		out = append(out, crdSubresourceRoutes(op, item, "scale", e.scope+kind, kind, getParams, p, &autoscalingv1.Scale{})...)
	}
	return out
}

// crdSubresourceRoutes returns read, replace and patch of a status or scale
// subresource; their GVK extension names the custom kind, as upstream's does.
func crdSubresourceRoutes(op func(method, path, verb, name, action, description string, params []*param, body any, model any, codes ...int) *route,
	item, sub, scopedKind, kind string, getParams []*param, p paramSets, model any) []*route {
	path := item + "/" + sub
	name := scopedKind + camel(sub, true)
	of := " " + sub + " of the specified " + kind
	return []*route{
		op(http.MethodGet, path, "read", name, "get", "read"+of, getParams, nil, model, http.StatusOK),
		op(http.MethodPut, path, "replace", name, "put", "replace"+of, p.update, model, model, http.StatusOK, http.StatusCreated),
		op(http.MethodPatch, path, "patch", name, "patch", "partially update"+of, p.patch, &metav1.Patch{}, model, http.StatusOK),
	}
}
