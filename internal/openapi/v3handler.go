package openapi

import (
	"net/http"
	"strings"
)

// HandlerV2 serves /openapi/v2.
func (s *Service) HandlerV2() http.Handler { return s.v2 }

// HandlerV3 serves /openapi/v3 (the list of documents, each URL carrying its content
// hash) and /openapi/v3/<prefix>/<group>/<version> such as /openapi/v3/api/v1 and
// /openapi/v3/apis/apps/v1. A request with a stale hash is redirected to the current
// one; a request with the current hash is cacheable for a year.
func (s *Service) HandlerV3() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		if r.URL.Path == "/openapi/v3" || r.URL.Path == "/openapi/v3/" {
			s.v3.HandleDiscovery(w, r)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, "/openapi/v3/")
		if !ok || !s.servesDocument(name) {
			// kube-openapi's handler writes nothing for an unknown document.
			http.NotFound(w, r)
			return
		}
		s.v3.HandleGroupVersion(w, r)
	})
}

// servesDocument reports whether v3 document name exists: published, and either
// a CRD serves its group version or the routes of its resources could be built (a
// group version whose kinds the scheme cannot describe has no document).
func (s *Service) servesDocument(name string) bool {
	s.mu.Lock()
	known, static := s.v3Docs[name], s.staticNames[name]
	buildStatic, byCRDs := s.static, len(s.crdsFor(name)) > 0
	s.mu.Unlock()
	if !known || byCRDs || !static {
		return known
	}
	byName, _ := buildStatic()
	return byName[name] != nil
}
