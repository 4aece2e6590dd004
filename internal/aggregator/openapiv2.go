package aggregator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"github.com/munnerz/goautoneg"
	"google.golang.org/protobuf/proto"
	oaggregator "k8s.io/kube-openapi/pkg/aggregator"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Media types of /openapi/v2 besides JSON, as the local handler serves them.
const (
	protoV2Type           = "com.github.proto-openapi.spec.v2.v1.0+protobuf"
	protoV2TypeDeprecated = "com.github.proto-openapi.spec.v2@v1.0+protobuf"
)

// remoteV2 is the part of an extension server's /openapi/v2 that belongs to one
// APIService: its paths under /apis/<group>/<version>/ (upstream's filter) and
// the definitions they use.
type remoteV2 struct {
	spec *spec.Swagger
	hash string // of the filtered document, to tell when the merge is stale
}

// parseRemoteV2 filters an extension server's /openapi/v2 document down to the
// paths of group/version; nil when it is not a document or keeps no path.
func parseRemoteV2(doc []byte, group, version string) *remoteV2 {
	sw := &spec.Swagger{}
	if err := json.Unmarshal(doc, sw); err != nil {
		return nil
	}
	filtered := oaggregator.FilterSpecByPathsWithoutSideEffects(sw, []string{"/apis/" + group + "/" + version + "/"})
	if filtered.Paths == nil || len(filtered.Paths.Paths) == 0 {
		return nil
	}
	data, err := json.Marshal(filtered)
	if err != nil {
		return nil
	}
	return &remoteV2{spec: filtered, hash: docHash(data)}
}

// mergedV2 is the last merged document and what it was merged from.
type mergedV2 struct {
	mu        sync.Mutex // guards the fields below and serializes merges
	localETag string     // Etag of the local document merged
	key       string     // the remote hashes merged
	json      []byte
	proto     []byte // built on first request
	etag      string
	modified  time.Time
}

// OpenAPIV2 wraps the server's /openapi/v2 handler: the local document gets the
// paths and definitions of every available remote APIService, from what the last
// check fetched (a slow extension server never delays the answer). On a name
// clash the local path, definition or parameter is kept and the remote one
// dropped; upstream renames clashing remote definitions instead.
func (a *Aggregator) OpenAPIV2(local http.Handler) http.Handler {
	m := &mergedV2{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			local.ServeHTTP(w, r)
			return
		}
		remotes, key := a.remoteV2Specs()
		if len(remotes) == 0 {
			local.ServeHTTP(w, r)
			return
		}
		data, etag, modified, ok := m.get(r, local, remotes, key, wantsProto(r))
		if !ok {
			local.ServeHTTP(w, r)
			return
		}
		w.Header().Add("Vary", "Accept")
		if data == nil {
			w.WriteHeader(http.StatusNotAcceptable)
			return
		}
		if wantsProto(r) {
			w.Header().Set("Content-Type", "application/"+protoV2Type)
		} else {
			w.Header().Set("Content-Type", "application/json")
		}
		w.Header().Set("Etag", strconv.Quote(etag))
		http.ServeContent(w, r, "", modified, bytes.NewReader(data))
	})
}

// wantsProto reports whether the request's Accept prefers the protobuf form, by
// the local handler's order of offers (JSON first).
func wantsProto(r *http.Request) bool {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return false
	}
	for _, c := range goautoneg.ParseAccept(accept) {
		if c.Type != "application" && c.Type != "*" {
			continue
		}
		switch c.SubType {
		case "json", "*":
			return false
		case protoV2Type, protoV2TypeDeprecated:
			return true
		}
	}
	return false
}

// remoteV2Specs returns the fetched v2 parts of the available remote group
// versions in a stable order, and a key naming them.
func (a *Aggregator) remoteV2Specs() ([]*spec.Swagger, string) {
	t := *a.backends.Load()
	a.mu.Lock()
	var names []string
	byName := map[string]*remoteV2{}
	for gv, b := range t {
		if f := a.fetched[gv]; f != nil && b.available && f.openAPIV2 != nil {
			names = append(names, gv.String())
			byName[gv.String()] = f.openAPIV2
		}
	}
	a.mu.Unlock()
	sort.Strings(names)
	specs := make([]*spec.Swagger, 0, len(names))
	var key strings.Builder
	for _, n := range names {
		specs = append(specs, byName[n].spec)
		key.WriteString(n + "=" + byName[n].hash + ";")
	}
	return specs, key.String()
}

// get returns the merged document in the wanted form, merging again when the
// local document or the remote parts changed. ok is false when the local
// document cannot be had as JSON; data is nil when the protobuf form cannot be built.
func (m *mergedV2) get(r *http.Request, local http.Handler, remotes []*spec.Swagger, key string, wantProto bool) (data []byte, etag string, modified time.Time, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	// Ask for the local JSON, revalidating what was merged last time.
	req := httptest.NewRequest(http.MethodGet, "/openapi/v2", nil).WithContext(r.Context())
	req.Header.Set("Accept", "application/json")
	if m.json != nil {
		req.Header.Set("If-None-Match", strconv.Quote(m.localETag))
	}
	rec := httptest.NewRecorder()
	local.ServeHTTP(rec, req)
	localETag, _ := strconv.Unquote(rec.Header().Get("Etag"))
	switch {
	case rec.Code == http.StatusNotModified && m.json != nil:
		if m.key != key {
			// The local document is unchanged but its bytes were not kept.
			rec = httptest.NewRecorder()
			req.Header.Del("If-None-Match")
			local.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				return nil, "", time.Time{}, false
			}
			if !m.merge(rec.Body.Bytes(), localETag, remotes, key) {
				return nil, "", time.Time{}, false
			}
		}
	case rec.Code == http.StatusOK:
		if m.json == nil || m.localETag != localETag || m.key != key {
			if !m.merge(rec.Body.Bytes(), localETag, remotes, key) {
				return nil, "", time.Time{}, false
			}
		}
	default:
		return nil, "", time.Time{}, false
	}
	if !wantProto {
		return m.json, m.etag, m.modified, true
	}
	if m.proto == nil {
		doc, err := openapi_v2.ParseDocument(m.json)
		if err != nil {
			return nil, "", time.Time{}, true
		}
		if m.proto, err = proto.Marshal(doc); err != nil {
			return nil, "", time.Time{}, true
		}
	}
	return m.proto, m.etag, m.modified, true
}

// merge adds the remote parts to the local document and records the result.
func (m *mergedV2) merge(localJSON []byte, localETag string, remotes []*spec.Swagger, key string) bool {
	sw := &spec.Swagger{}
	if err := json.Unmarshal(localJSON, sw); err != nil {
		return false
	}
	for _, rs := range remotes {
		mergeV2Into(sw, rs)
	}
	data, err := json.Marshal(sw)
	if err != nil {
		return false
	}
	m.localETag, m.key = localETag, key
	m.json, m.proto = data, nil
	m.etag = docHash(data)
	m.modified = time.Now()
	return true
}

// mergeV2Into adds src's paths, definitions and parameters that dst lacks; dst's
// win on a clash (a remote path then refers to the local definition of that name).
func mergeV2Into(dst, src *spec.Swagger) {
	if src.Paths != nil {
		if dst.Paths == nil {
			dst.Paths = &spec.Paths{Paths: map[string]spec.PathItem{}}
		}
		if dst.Paths.Paths == nil {
			dst.Paths.Paths = map[string]spec.PathItem{}
		}
		for p, item := range src.Paths.Paths {
			if _, ok := dst.Paths.Paths[p]; !ok {
				dst.Paths.Paths[p] = item
			}
		}
	}
	for name, def := range src.Definitions {
		if dst.Definitions == nil {
			dst.Definitions = spec.Definitions{}
		}
		if _, ok := dst.Definitions[name]; !ok {
			dst.Definitions[name] = def
		}
	}
	for name, param := range src.Parameters {
		if dst.Parameters == nil {
			dst.Parameters = map[string]spec.Parameter{}
		}
		if _, ok := dst.Parameters[name]; !ok {
			dst.Parameters[name] = param
		}
	}
}
