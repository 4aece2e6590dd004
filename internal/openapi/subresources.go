package openapi

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/common"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Response and request media types of the connect subresources.
var (
	connectMediaTypes = []string{"*/*"}
	logMediaTypes     = []string{"text/plain", "application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}
)

// otherSubresourceRoutes describes a resource's subresources besides status and
// scale, as upstream's installer does from their storage: those that update a part
// of the object (namespaces/finalize, pods/resize, certificatesigningrequests/approval)
// read, replace and patch the parent's kind; those that create (pods/binding,
// pods/eviction, serviceaccounts/token) take and return their own kind; pods/log
// reads with query options; the others connect, once per HTTP method, with their
// options kind as query parameters and, for the proxies, a {path} variant.
func (b *routeBuilder) otherSubresourceRoutes(main *endpoint, item string, obj any) ([]*route, error) {
	var out []*route
	for i := range main.res.Subresources {
		sub := &main.res.Subresources[i]
		e := *main
		e.sub = sub.Name
		path := item + "/" + sub.Name
		switch {
		case sub.Connect != nil && sub.OptionsKind.Kind != "":
			opts, err := b.optionParams(main.res, sub.OptionsKind)
			if err != nil {
				return nil, err
			}
			r := e.op(http.MethodGet, path, e.id("read", e.kindName()), "get",
				"read "+sub.Name+" of the specified "+main.res.Kind, opts, nil)
			r.produces, r.responses = logMediaTypes, responses("", http.StatusOK)
			out = append(out, r)
		case sub.Connect != nil:
			routes, err := b.connectRoutes(&e, sub, path)
			if err != nil {
				return nil, err
			}
			out = append(out, routes...)
		case sub.Create != nil:
			gvk := main.res.SubresourceKind(sub)
			body, err := b.scheme.New(gvk)
			if err != nil {
				return nil, fmt.Errorf("openapi: subresource %s/%s: %w", main.res.Name, sub.Name, err)
			}
			e.gvk, e.nameParam = gvk, pathParam("name", "name of the "+gvk.Kind)
			r := e.op(http.MethodPost, path, e.id("create", e.kindName()), "post",
				"create "+sub.Name+" of"+article(main.res.Kind)+main.res.Kind, b.params.create, body)
			r.responses = responses(body, http.StatusOK, http.StatusCreated, http.StatusAccepted)
			out = append(out, r)
		default:
			for _, r := range b.subresourceRoutes(&e, path, obj) {
				if verbServed(sub.Verbs, r.method) {
					out = append(out, r)
				}
			}
		}
	}
	return out, nil
}

// connectRoutes returns one connect operation per HTTP method of sub, and the same
// under {path} when it serves subpaths.
func (b *routeBuilder) connectRoutes(e *endpoint, sub *registry.Subresource, path string) ([]*route, error) {
	gvk := e.res.SubresourceKind(sub)
	opts, err := b.optionParams(e.res, gvk)
	if err != nil {
		return nil, err
	}
	e.gvk, e.nameParam = gvk, pathParam("name", "name of the "+gvk.Kind)
	variants := []struct{ path, suffix string }{{path, ""}}
	if sub.Subpaths {
		variants = append(variants, struct{ path, suffix string }{path + "/{path}", "WithPath"})
	}
	var out []*route
	for _, v := range variants {
		for _, method := range sub.ConnectMethods {
			r := e.op(method, v.path, e.id("connect", camel(strings.ToLower(method), true)+e.kindName()+v.suffix), "connect",
				"connect "+method+" requests to "+sub.Name+" of "+e.res.Kind, opts, nil)
			// Connections are not pretty printed.
			r.params = slices.DeleteFunc(r.params, func(p common.Parameter) bool { return p.Name() == "pretty" })
			if v.suffix != "" {
				r.params = append(r.params, pathParam("path", "path to the resource"))
			}
			r.consumes, r.produces = connectMediaTypes, connectMediaTypes
			r.responses = responses("", http.StatusOK)
			out = append(out, r)
		}
	}
	return out, nil
}

// optionParams are the query parameters of a subresource's options kind.
func (b *routeBuilder) optionParams(res *registry.Resource, gvk schema.GroupVersionKind) ([]*param, error) {
	obj, err := b.scheme.New(gvk)
	if err != nil {
		return nil, fmt.Errorf("openapi: options of %s: %w", res.GroupVersionResource(), err)
	}
	docer, ok := obj.(swaggerDocer)
	if !ok {
		return nil, fmt.Errorf("openapi: options %s of %s have no documentation", gvk, res.GroupVersionResource())
	}
	return optionParams(docer), nil
}

// verbServed reports whether verbs include the verb an update-like operation's
// method stands for.
func verbServed(verbs []string, method string) bool {
	switch method {
	case http.MethodGet:
		return contains(verbs, "get")
	case http.MethodPut:
		return contains(verbs, "update")
	case http.MethodPatch:
		return contains(verbs, "patch")
	}
	return false
}
