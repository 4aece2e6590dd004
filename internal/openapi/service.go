package openapi

import (
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder"
	"k8s.io/kube-openapi/pkg/builder3"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/common"
	"k8s.io/kube-openapi/pkg/handler3"
	"k8s.io/kube-openapi/pkg/spec3"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/internal/openapi/generated"
	"github.com/kapi-dev/kapi/internal/registry"
)

// Service computes and serves the OpenAPI v2 and v3 documents of a set of resources.
// Documents are built on first request and cached until Update replaces the
// resources. All methods are safe for concurrent use.
type Service struct {
	scheme *runtime.Scheme
	// version is the server version put in info.version.
	version string
	namer   *definitionNamer

	// definitions holds the v3 schemas of every registered kind; it depends only on
	// the scheme and is built once, on first use.
	definitions cached.Value[map[string]*spec.Schema]

	// v2 is the swagger document of the current resources, replaced by Update.
	v2 *v2Handler
	// v3 serves /openapi/v3 and the per group version documents.
	v3 *handler3.OpenAPIService

	mu sync.Mutex // guards the fields below
	// v3Docs is the set of served v3 document names ("api/v1", "apis/apps").
	v3Docs map[string]bool
	// generation counts Updates; it is the etag of the built specs, so the caches
	// downstream of them rebuild after an Update.
	generation int
}

// Option configures a Service.
type Option func(*Service)

// WithVersion sets info.version of the documents (kube-apiserver puts its version
// there, "v1.37.2"); the default is "unversioned".
func WithVersion(v string) Option {
	return func(s *Service) { s.version = v }
}

// New returns a Service for resources; scheme must know every resource's kind and
// list kind, and supplies the GVK extensions of the definitions.
func New(resources []*registry.Resource, scheme *runtime.Scheme, opts ...Option) *Service {
	s := &Service{
		scheme:  scheme,
		version: "unversioned",
		namer:   newDefinitionNamer(scheme),
		v2:      newV2Handler(),
		v3:      handler3.NewOpenAPIService(),
		v3Docs:  map[string]bool{},
	}
	for _, o := range opts {
		o(s)
	}
	s.definitions = cached.Once(cached.Func(func() (map[string]*spec.Schema, string, error) {
		defs, err := builder3.BuildOpenAPIDefinitionsForResources(s.v3Config(), s.namer.sortedNames()...)
		return defs, "definitions", err
	}))
	s.Update(resources)
	return s
}

// Update replaces the served resources (CRDs and aggregated APIs change them at run
// time). The documents are rebuilt lazily on their next request; documents of group
// versions that are gone stop being served.
func (s *Service) Update(resources []*registry.Resource) {
	// Copy so the caller may keep changing its slice.
	resources = append([]*registry.Resource(nil), resources...)
	containers, routeErr := buildContainers(resources, s.scheme)

	s.mu.Lock()
	defer s.mu.Unlock()
	s.generation++
	generation := strconv.Itoa(s.generation)

	// A resource the scheme cannot describe fails the v2 document, which is served
	// as a 503 so the error is seen rather than a document missing it.
	s.v2.update(cached.Once(cached.Func(func() (*spec.Swagger, string, error) {
		if routeErr != nil {
			return nil, "", routeErr
		}
		sw, err := builder.BuildOpenAPISpecFromRoutes(containers, s.v2Config())
		if err != nil {
			return nil, "", err
		}
		pruneDefaults(sw.Definitions)
		return sw, generation, nil
	})))

	docs := map[string]bool{}
	for _, c := range containers {
		name := strings.TrimPrefix(c.RootPath(), "/")
		docs[name] = true
		single := []common.RouteContainer{c}
		s.v3.UpdateGroupVersionLazy(name, cached.Once(cached.Func(func() (*spec3.OpenAPI, string, error) {
			doc, err := builder3.BuildOpenAPISpecFromRoutes(single, s.v3Config())
			return doc, generation, err
		})))
	}
	for name := range s.v3Docs {
		if !docs[name] {
			s.v3.DeleteGroupVersion(name)
		}
	}
	s.v3Docs = docs
}

// Definitions returns the OpenAPI v3 schema of every kind the scheme registers and
// of every type they reference, keyed by definition name (io.k8s.api.core.v1.Pod).
// Each kind's schema carries x-kubernetes-group-version-kind, the form server-side
// apply builds its type converter from. The map is shared: callers must not modify
// it.
func (s *Service) Definitions() (map[string]*spec.Schema, error) {
	defs, _, err := s.definitions.Get()
	return defs, err
}

// DefinitionName returns the definition name of a registered kind.
func (s *Service) DefinitionName(gvk schema.GroupVersionKind) (string, bool) {
	name, ok := s.namer.names[gvk]
	return name, ok
}

func (s *Service) info() *spec.Info {
	return &spec.Info{InfoProps: spec.InfoProps{Title: "Kubernetes", Version: s.version}}
}

// v2Config returns a fresh builder config: the builders write into their config
// and into the definitions map, so builds must not share either.
func (s *Service) v2Config() *common.Config {
	return &common.Config{
		ProtocolList:                   []string{"https"},
		IgnorePrefixes:                 []string{},
		Info:                           s.info(),
		DefaultResponse:                &spec.Response{ResponseProps: spec.ResponseProps{Description: "Default Response."}},
		CommonResponses:                map[int]spec.Response{401: {ResponseProps: spec.ResponseProps{Description: "Unauthorized"}}},
		GetDefinitions:                 generated.GetOpenAPIDefinitions,
		GetDefinitionName:              s.namer.definitionName,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		SecurityDefinitions: &spec.SecurityDefinitions{"BearerToken": &spec.SecurityScheme{
			SecuritySchemeProps: spec.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
			},
		}},
		DefaultSecurity: []map[string][]string{{"BearerToken": {}}},
	}
}

func (s *Service) v3Config() *common.OpenAPIV3Config {
	return &common.OpenAPIV3Config{
		IgnorePrefixes:                 []string{},
		Info:                           s.info(),
		DefaultResponse:                &spec3.Response{ResponseProps: spec3.ResponseProps{Description: "Default Response."}},
		CommonResponses:                map[int]*spec3.Response{401: {ResponseProps: spec3.ResponseProps{Description: "Unauthorized"}}},
		GetDefinitions:                 generated.GetOpenAPIDefinitions,
		GetDefinitionName:              s.namer.definitionName,
		GetOperationIDAndTagsFromRoute: operationIDAndTags,
		SecuritySchemes: spec3.SecuritySchemes{"BearerToken": &spec3.SecurityScheme{
			SecuritySchemeProps: spec3.SecuritySchemeProps{
				Type: "apiKey", Name: "authorization", In: "header", Description: "Bearer Token authentication",
			},
		}},
	}
}
