package openapi

import (
	"reflect"
	"sort"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// publishedCRD is the Service's own copy of a CRD whose served versions it
// publishes; it is never modified once stored, so lazy builds may read it.
type publishedCRD struct {
	crd *apiextensionsv1.CustomResourceDefinition
	// versions are the served versions, in the CRD's order.
	versions []string
}

func newPublishedCRD(crd *apiextensionsv1.CustomResourceDefinition) *publishedCRD {
	p := &publishedCRD{crd: crd.DeepCopy()}
	for _, v := range crd.Spec.Versions {
		if v.Served {
			p.versions = append(p.versions, v.Name)
		}
	}
	return p
}

// docNames are the v3 documents the CRD contributes to: one per served version.
func (p *publishedCRD) docNames() []string {
	out := make([]string, 0, len(p.versions))
	for _, v := range p.versions {
		out = append(out, docName(schema.GroupVersion{Group: p.crd.Spec.Group, Version: v}))
	}
	return out
}

// resources are the group version resources the CRD serves.
func (p *publishedCRD) resources() []schema.GroupVersionResource {
	out := make([]schema.GroupVersionResource, 0, len(p.versions))
	for _, v := range p.versions {
		out = append(out, schema.GroupVersionResource{Group: p.crd.Spec.Group, Version: v, Resource: p.crd.Spec.Names.Plural})
	}
	return out
}

// sameAs reports whether crd would publish what p publishes. The resourceVersion
// answers cheaply for objects read from storage; otherwise the specs are compared.
func (p *publishedCRD) sameAs(crd *apiextensionsv1.CustomResourceDefinition) bool {
	if crd.ResourceVersion != "" && crd.ResourceVersion == p.crd.ResourceVersion && crd.UID == p.crd.UID {
		return true
	}
	return reflect.DeepEqual(crd.Spec, p.crd.Spec)
}

// docName is the v3 document of a group version: "api/v1", "apis/apps/v1".
func docName(gv schema.GroupVersion) string {
	return gvRoot(gv)[1:]
}

// SetCustomResourceDefinitions replaces the CRDs whose served versions the
// documents describe; the caller passes exactly the CRDs to publish (established
// ones). Only the v3 documents of group versions whose CRDs changed are rebuilt,
// lazily on their next request, and /openapi/v2 on its next request, so setting
// the list again after each of many CRDs is added stays cheap. A CRD that serves a
// resource Update also listed takes its place. crds is not retained.
func (s *Service) SetCustomResourceDefinitions(crds []*apiextensionsv1.CustomResourceDefinition) {
	s.mu.Lock()
	defer s.mu.Unlock()

	affected := map[string]bool{}
	claimsChanged := false
	touch := func(p *publishedCRD) {
		for _, name := range p.docNames() {
			affected[name] = true
		}
		for _, gvr := range p.resources() {
			if s.resourceGVRs[gvr] {
				claimsChanged = true
			}
		}
	}

	next := make(map[string]*publishedCRD, len(crds))
	for _, crd := range crds {
		if crd == nil {
			continue
		}
		old, ok := s.crds[crd.Name]
		if ok && old.sameAs(crd) {
			next[crd.Name] = old
			continue
		}
		p := newPublishedCRD(crd)
		next[crd.Name] = p
		touch(p)
		if ok {
			touch(old)
		}
	}
	for name, old := range s.crds {
		if _, kept := next[name]; !kept {
			touch(old)
		}
	}
	if len(affected) == 0 && !claimsChanged && len(next) == len(s.crds) {
		return
	}
	s.crds = next
	if claimsChanged {
		for name := range s.staticNames {
			affected[name] = true
		}
		s.rebuildStatic()
		for name := range s.staticNames {
			affected[name] = true
		}
	}
	s.publish(affected)
}

// crdsFor returns the published CRDs serving the group version of document name,
// sorted by CRD name so builds are reproducible.
func (s *Service) crdsFor(name string) []*publishedCRD {
	var out []*publishedCRD
	for _, p := range s.crds {
		for _, d := range p.docNames() {
			if d == name {
				out = append(out, p)
				break
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].crd.Name < out[j].crd.Name })
	return out
}

// allCRDs returns every published CRD sorted by name.
func (s *Service) allCRDs() []*publishedCRD {
	out := make([]*publishedCRD, 0, len(s.crds))
	for _, p := range s.crds {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].crd.Name < out[j].crd.Name })
	return out
}

// claimedResources are the group version resources the published CRDs serve.
func (s *Service) claimedResources() map[schema.GroupVersionResource]bool {
	out := map[schema.GroupVersionResource]bool{}
	for _, p := range s.crds {
		for _, gvr := range p.resources() {
			out[gvr] = true
		}
	}
	return out
}
