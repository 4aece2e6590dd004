package openapi

import (
	"strconv"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/kube-openapi/pkg/builder3"
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

	// v2 is the swagger document of the current resources, replaced by Update.
	v2 *v2Handler
	// v3 serves /openapi/v3 and the per group version documents.
	v3 *handler3.OpenAPIService

	// generatedV2 and generatedV3 are the generated definitions with references in
	// v2 and v3 form, built once, for documents that add custom kinds to them;
	// crdBaseV3 is the part of generatedV3 that documents of custom kinds alone use.
	generatedV2, generatedV3, crdBaseV3 func() map[string]common.OpenAPIDefinition

	mu sync.Mutex // guards the fields below
	// resources are the resources of the last Update.
	resources []*registry.Resource
	// staticNames are the documents of resources, less the resources a published
	// CRD serves; static builds their route containers by document name when a
	// document is first built (with why some could not be built), once per
	// rebuildStatic. An idle server that nobody asked for OpenAPI holds none.
	staticNames map[string]bool
	static      func() (map[string]*container, error)
	// resourceGVRs are the resources of the last Update, claimed or not.
	resourceGVRs map[schema.GroupVersionResource]bool
	// crds are the published CRDs by name (SetCustomResourceDefinitions).
	crds map[string]*publishedCRD
	// v3Docs is the set of served v3 document names ("api/v1", "apis/apps").
	v3Docs map[string]bool
	// generation counts changes; it is the etag of the built specs, so the caches
	// downstream of them rebuild after a change.
	generation int
}

// Option configures a Service.
type Option func(*Service)

// WithVersion sets info.version of the documents (kube-apiserver puts its
// emulated version there, "1.37"); the default is "unversioned".
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
		crds:    map[string]*publishedCRD{},
	}
	s.generatedV2 = sync.OnceValue(func() map[string]common.OpenAPIDefinition { return s.generatedDefinitions("#/definitions/") })
	s.generatedV3 = sync.OnceValue(func() map[string]common.OpenAPIDefinition { return s.generatedDefinitions("#/components/schemas/") })
	s.crdBaseV3 = sync.OnceValue(func() map[string]common.OpenAPIDefinition { return crdBaseDefinitions(s.generatedV3()) })
	for _, o := range opts {
		o(s)
	}
	s.Update(resources)
	return s
}

// Update replaces the served resources (aggregated APIs change them at run time).
// The documents are rebuilt lazily on their next request; documents of group
// versions that are gone stop being served. Custom resources are published with
// SetCustomResourceDefinitions; a resource listed here that a published CRD serves
// is described by the CRD.
func (s *Service) Update(resources []*registry.Resource) {
	// Copy so the caller may keep changing its slice.
	resources = append([]*registry.Resource(nil), resources...)

	s.mu.Lock()
	defer s.mu.Unlock()
	affected := map[string]bool{}
	for name := range s.staticNames {
		affected[name] = true
	}
	s.resources = resources
	s.rebuildStatic()
	for name := range s.staticNames {
		affected[name] = true
	}
	s.publish(affected)
}

// rebuildStatic recomputes the route containers of the resources of the last
// Update, leaving out those a published CRD serves. Callers hold mu.
func (s *Service) rebuildStatic() {
	claimed := s.claimedResources()
	var kept []*registry.Resource
	s.resourceGVRs = map[schema.GroupVersionResource]bool{}
	for _, r := range s.resources {
		gvr := r.GroupVersionResource()
		s.resourceGVRs[gvr] = true
		if !claimed[gvr] {
			kept = append(kept, r)
		}
	}
	s.staticNames = staticDocNames(kept)
	s.static = sync.OnceValues(func() (map[string]*container, error) {
		containers, err := buildContainers(kept, s.scheme)
		byName := make(map[string]*container, len(containers))
		for _, c := range containers {
			byName[strings.TrimPrefix(c.RootPath(), "/")] = c.(*container)
		}
		return byName, err
	})
}

// publish replaces /openapi/v2 and the v3 documents named in affected with lazily
// built ones; an affected document with nothing left to describe is removed.
// Callers hold mu.
func (s *Service) publish(affected map[string]bool) {
	s.generation++
	generation := strconv.Itoa(s.generation)
	s.v2.update(s.v2Value(generation))
	for name := range affected {
		static, crds := s.static, s.crdsFor(name)
		if !s.staticNames[name] {
			static = nil
		}
		if static == nil && len(crds) == 0 {
			if s.v3Docs[name] {
				s.v3.DeleteGroupVersion(name)
				delete(s.v3Docs, name)
			}
			continue
		}
		s.v3Docs[name] = true
		s.v3.UpdateGroupVersionLazy(name, s.v3Value(name, static, crds, generation))
	}
}

// Definitions returns the OpenAPI v3 schema of every kind the scheme registers and
// of every type they reference, keyed by definition name (io.k8s.api.core.v1.Pod).
// Each kind's schema carries x-kubernetes-group-version-kind, the form server-side
// apply builds its type converter from. It is built afresh on every call and not
// kept: its only user, the server's type converter, is built once, and holding the
// map after that would cost some 4 MB of heap for nothing.
func (s *Service) Definitions() (map[string]*spec.Schema, error) {
	return builder3.BuildOpenAPIDefinitionsForResources(s.v3Config(), s.namer.sortedNames()...)
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
