package openapi

import (
	"fmt"
	"maps"
	"sort"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/internal/apiextensions/crdopenapi"
	"github.com/kapi-dev/kapi/internal/openapi/generated"
)

// v2Value builds /openapi/v2 from the current static containers and CRDs when
// first asked. Callers hold mu; the value reads only the snapshot taken here.
func (s *Service) v2Value(generation string) cached.Value[*spec.Swagger] {
	buildStatic := s.static
	crds := s.allCRDs()
	return cached.Once(cached.Func(func() (*spec.Swagger, string, error) {
		byName, staticErr := buildStatic()
		// A resource the scheme cannot describe fails the v2 document, which is
		// served as a 503 so the error is seen rather than a document missing it.
		if staticErr != nil {
			return nil, "", staticErr
		}
		static := sortedContainers(byName)
		cfg := s.v2Config()
		containers := static
		if len(crds) > 0 {
			b := newCRDRouteBuilder(s)
			defs := b.addCRDs(crds, "", crdopenapi.V2, s.generatedV2())
			containers = mergeContainers(static, b.containers)
			// The v2 builder only reads GetDefinitions; defs already hold v2
			// references.
			cfg.GetDefinitions = func(common.ReferenceCallback) map[string]common.OpenAPIDefinition { return defs }
		}
		sw, err := builder.BuildOpenAPISpecFromRoutes(containers, cfg)
		if err != nil {
			return nil, "", err
		}
		pruneDefaults(sw.Definitions)
		return sw, generation, nil
	}))
}

// v3Value builds document name from its static container (buildStatic is nil when
// only CRDs serve the group version) and crds when first asked. A group version
// served by CRDs alone gets the document upstream's CRD controller publishes,
// titled "Kubernetes CRD Swagger".
func (s *Service) v3Value(name string, buildStatic func() (map[string]*container, error), crds []*publishedCRD, generation string) cached.Value[*spec3.OpenAPI] {
	return cached.Once(cached.Func(func() (*spec3.OpenAPI, string, error) {
		var c *container
		if buildStatic != nil {
			byName, err := buildStatic()
			if c = byName[name]; c == nil && err != nil {
				return nil, "", err // the document's resources could not be described
			}
		}
		if c == nil && len(crds) == 0 {
			return nil, "", fmt.Errorf("no routes for the OpenAPI document %s", name)
		}
		if len(crds) == 0 {
			doc, err := builder3.BuildOpenAPISpecFromRoutes([]common.RouteContainer{c}, s.v3Config())
			if err == nil {
				scopeMetaGVKs(doc, c.root)
			}
			return doc, generation, err
		}
		b := newCRDRouteBuilder(s)
		var cfg *common.OpenAPIV3Config
		var base map[string]common.OpenAPIDefinition
		if c != nil {
			cfg, base = s.v3Config(), s.generatedV3()
		} else {
			cfg, base = s.crdV3Config(), s.crdBaseV3()
		}
		defs := b.addCRDs(crds, name, crdopenapi.V3, base)
		// The builder edits each definition's extensions map in place; builds of
		// several documents run at once, so each gets its own maps.
		for k, d := range defs {
			d.Schema.Extensions = maps.Clone(d.Schema.Extensions)
			defs[k] = d
		}
		static := map[string]*container{}
		if c != nil {
			static[name] = c
		}
		cfg.GetDefinitions, cfg.Definitions = nil, defs
		doc, err := builder3.BuildOpenAPISpecFromRoutes(mergeContainers(sortedContainers(static), b.containers), cfg)
		if err == nil && c != nil {
			scopeMetaGVKs(doc, c.root)
		}
		return doc, generation, err
	}))
}

func newCRDRouteBuilder(s *Service) *routeBuilder {
	return &routeBuilder{scheme: s.scheme, params: newParamSets(), containers: map[string]*container{}}
}

// addCRDs adds the routes of the served versions of crds to b (only those of
// document only, when it is not empty) and returns base plus their definitions in
// format f. A version is left out when another CRD earlier in the list already
// describes its resource, or when its definitions are missing or would replace a
// built-in definition: a custom kind must never change how a built-in one reads.
func (b *routeBuilder) addCRDs(crds []*publishedCRD, only string, f crdopenapi.Format, base map[string]common.OpenAPIDefinition) map[string]common.OpenAPIDefinition {
	defs := maps.Clone(base)
	seen := map[schema.GroupVersionResource]bool{}
	for _, p := range crds {
		for _, version := range p.versions {
			gv := schema.GroupVersion{Group: p.crd.Spec.Group, Version: version}
			if only != "" && docName(gv) != only {
				continue
			}
			gvr := gv.WithResource(p.crd.Spec.Names.Plural)
			if seen[gvr] {
				continue
			}
			kindDefs, err := crdopenapi.Definitions(p.crd, version, f)
			if err != nil || collides(kindDefs, base) {
				continue
			}
			seen[gvr] = true
			maps.Copy(defs, kindDefs)
			b.add(gvRoot(gv), b.crdRoutes(p.crd, version)...)
		}
	}
	return defs
}

func collides(defs, base map[string]common.OpenAPIDefinition) bool {
	for name := range defs {
		if _, ok := base[name]; ok {
			return true
		}
	}
	return false
}

// mergeContainers returns static's containers with extra's routes appended
// (without changing static) plus extra's other containers, sorted by root path.
func mergeContainers(static []common.RouteContainer, extra map[string]*container) []common.RouteContainer {
	byRoot := make(map[string]*container, len(static)+len(extra))
	for _, c := range static {
		byRoot[c.RootPath()] = c.(*container)
	}
	for root, e := range extra {
		if c, ok := byRoot[root]; ok {
			routes := append(append([]common.Route(nil), c.routes...), e.routes...)
			byRoot[root] = &container{root: root, routes: routes}
			continue
		}
		byRoot[root] = e
	}
	out := make([]common.RouteContainer, 0, len(byRoot))
	for _, c := range byRoot {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RootPath() < out[j].RootPath() })
	return out
}

// sortedContainers lists containers by root path.
func sortedContainers(byName map[string]*container) []common.RouteContainer {
	out := make([]common.RouteContainer, 0, len(byName))
	for _, c := range byName {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].RootPath() < out[j].RootPath() })
	return out
}

// generatedDefinitions returns the generated definitions with references under
// prefix, named as the builders name them.
func (s *Service) generatedDefinitions(prefix string) map[string]common.OpenAPIDefinition {
	return generated.GetOpenAPIDefinitions(func(name string) spec.Ref {
		defName, _ := s.namer.definitionName(name)
		return spec.MustCreateRef(prefix + common.EscapeJsonPointer(defName))
	})
}

// crdRoots are the built-in types the operations of custom resources refer to.
var crdRoots = []string{
	crdopenapi.ObjectMetaName,
	"io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta",
	"io.k8s.apimachinery.pkg.apis.meta.v1.Status",
	"io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions",
	"io.k8s.apimachinery.pkg.apis.meta.v1.Patch",
	"io.k8s.api.autoscaling.v1.Scale",
}

// crdBaseDefinitions is the part of all that documents of custom resources alone
// use: crdRoots and what they depend on. Copying it per document is far cheaper
// than copying every generated definition.
func crdBaseDefinitions(all map[string]common.OpenAPIDefinition) map[string]common.OpenAPIDefinition {
	out := map[string]common.OpenAPIDefinition{}
	var visit func(name string)
	visit = func(name string) {
		if _, done := out[name]; done {
			return
		}
		d, ok := all[name]
		if !ok {
			return
		}
		out[name] = d
		for _, dep := range d.Dependencies {
			visit(dep)
		}
	}
	for _, name := range crdRoots {
		visit(name)
	}
	return out
}

// crdV3Config is the builder config of documents of custom resources alone, as
// upstream's CRD controller builds them: no security schemes, its own title.
func (s *Service) crdV3Config() *common.OpenAPIV3Config {
	return &common.OpenAPIV3Config{
		IgnorePrefixes:                 []string{},
		Info:                           &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes CRD Swagger", Version: "v0.1.0"}},
		CommonResponses:                map[int]*spec3.Response{401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}}},
		GetDefinitionName:              s.namer.definitionName,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
	}
}
