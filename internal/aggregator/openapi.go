package aggregator

import (
	"bytes"
	"crypto/sha512"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// OpenAPIV3 wraps the server's /openapi/v3 handler: the list of documents also
// names each available remote group version's document, which is served from what
// the last check fetched from the extension server (kubectl explain reads it).
func (a *Aggregator) OpenAPIV3(local http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			local.ServeHTTP(w, r)
			return
		}
		if r.URL.Path == "/openapi/v3" || r.URL.Path == "/openapi/v3/" {
			a.serveOpenAPIList(w, r, local)
			return
		}
		if gv, ok := groupVersionOf(strings.TrimPrefix(r.URL.Path, "/openapi/v3")); ok && !strings.Contains(gv.Version, "/") {
			if doc := a.openAPIDoc(gv); doc != nil {
				w.Header().Set("Content-Type", "application/json")
				w.Header().Set("Etag", `"`+docHash(doc)+`"`)
				if r.URL.Query().Get("hash") == docHash(doc) {
					w.Header().Set("Cache-Control", "public, immutable")
					w.Header().Set("Expires", "Wed, 31 Dec 2099 23:59:59 GMT")
				}
				_, _ = w.Write(doc)
				return
			}
		}
		local.ServeHTTP(w, r)
	})
}

// openAPIDoc returns the fetched v3 document of an available remote gv, or nil.
func (a *Aggregator) openAPIDoc(gv schema.GroupVersion) []byte {
	b := a.lookup(gv)
	if b == nil || !b.available {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if f := a.fetched[gv]; f != nil {
		return f.openAPI
	}
	return nil
}

// serveOpenAPIList adds the remote documents to the local list.
func (a *Aggregator) serveOpenAPIList(w http.ResponseWriter, r *http.Request, local http.Handler) {
	remote := map[string]string{}
	for gv := range *a.backends.Load() {
		if doc := a.openAPIDoc(gv); doc != nil {
			remote["apis/"+gv.Group+"/"+gv.Version] = docHash(doc)
		}
	}
	if len(remote) == 0 {
		local.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	local.ServeHTTP(rec, r.Clone(r.Context()))
	var list struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if rec.Code != http.StatusOK || json.Unmarshal(rec.Body.Bytes(), &list) != nil {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	if list.Paths == nil {
		list.Paths = map[string]json.RawMessage{}
	}
	for name, hash := range remote {
		if _, ok := list.Paths[name]; ok {
			continue
		}
		entry, _ := json.Marshal(map[string]string{"serverRelativeURL": "/openapi/v3/" + name + "?hash=" + hash})
		list.Paths[name] = entry
	}
	body, err := json.Marshal(list)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	etag := `"` + docHash(body) + `"`
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Etag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(body)
}

// docHash is the content hash in a document's URL: upper-case hex SHA-512, as the
// server's own documents use.
func docHash(doc []byte) string {
	return fmt.Sprintf("%X", sha512.Sum512(bytes.TrimSpace(doc)))
}
