package discovery

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/munnerz/goautoneg"
	apidiscoveryv2 "k8s.io/api/apidiscovery/v2"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Media types of the documents, JSON first: it is the default and what wildcards get.
const (
	mediaJSON     = "application/json"
	mediaYAML     = "application/yaml"
	mediaProtobuf = "application/vnd.kubernetes.protobuf"
)

// The Accept parameters that ask /api and /apis for aggregated discovery. Only v2 is
// served: v2beta1 is removed in v1.37 (AggregatedDiscoveryRemoveBetaType is locked on).
const (
	aggregatedGroup   = "apidiscovery.k8s.io"
	aggregatedVersion = "v2"
	aggregatedKind    = "APIGroupDiscoveryList"
	aggregatedParams  = ";g=" + aggregatedGroup + ";v=" + aggregatedVersion + ";as=" + aggregatedKind
)

var _ http.Handler = (*Handler)(nil)

// Handler serves the discovery documents. It is safe for concurrent use; Set swaps the
// documents atomically, so a request sees one consistent set.
type Handler struct {
	serverAddress func(r *http.Request) string
	// extra are the subresources given by WithSubresources; read-only after New.
	extra []Subresource
	// formats are the encodings offered, JSON first; read-only after New.
	formats []format
	// docs is the current snapshot, replaced whole by Set and SetRemote.
	docs atomic.Pointer[snapshot]

	// inputs guards resources and remote, the inputs of the current snapshot, so
	// that Set and SetRemote rebuild from a consistent pair.
	inputs    sync.Mutex
	resources []*registry.Resource
	remote    []Remote
}

// format is one response encoding.
type format struct {
	mediaType string
	encoder   runtime.Encoder
	// pretty is used instead of encoder when the client asks for indentation.
	pretty runtime.Encoder
}

// Option configures a Handler.
type Option func(*Handler)

// WithSubresources lists subresources beyond status and scale (pods/log,
// namespaces/finalize, ...) under their parent resource. Subresources whose parent is
// not registered are left out.
func WithSubresources(subs ...Subresource) Option {
	return func(h *Handler) { h.extra = append(h.extra, subs...) }
}

// New builds the documents for resources. serverAddress gives the address /api
// advertises for clients in 0.0.0.0/0; nil advertises the request's Host.
func New(resources []*registry.Resource, serverAddress func(r *http.Request) string, opts ...Option) *Handler {
	compact := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, nil, nil, kjson.SerializerOptions{})
	indented := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, nil, nil, kjson.SerializerOptions{Pretty: true})
	yaml := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, nil, nil, kjson.SerializerOptions{Yaml: true})
	proto := protobuf.NewSerializer(nil, nil)
	h := &Handler{
		serverAddress: serverAddress,
		formats: []format{
			{mediaType: mediaJSON, encoder: compact, pretty: indented},
			{mediaType: mediaYAML, encoder: yaml, pretty: yaml},
			{mediaType: mediaProtobuf, encoder: proto, pretty: proto},
		},
	}
	for _, o := range opts {
		o(h)
	}
	h.Set(resources)
	return h
}

// Set replaces the served resources, for when CRDs or APIServices change.
func (h *Handler) Set(resources []*registry.Resource) {
	h.inputs.Lock()
	defer h.inputs.Unlock()
	h.resources = slices.Clone(resources)
	h.docs.Store(build(h.resources, h.extra, h.remote))
}

// ResourceList returns the APIResourceList of gv as /api/v1 or /apis/<group>/<version>
// serves it, or false when gv is not served. The caller owns the copy.
func (h *Handler) ResourceList(gv schema.GroupVersion) (*metav1.APIResourceList, bool) {
	list, ok := h.docs.Load().lists[gv]
	if !ok {
		return nil, false
	}
	out := list.DeepCopy()
	out.TypeMeta = metav1.TypeMeta{Kind: "APIResourceList", APIVersion: "v1"}
	if gv.Group == "" {
		// Upstream keeps the legacy group's documents without apiVersion.
		out.APIVersion = ""
	}
	return out, true
}

// GroupList returns the APIGroupList of /apis. The caller owns the copy.
func (h *Handler) GroupList() *metav1.APIGroupList {
	snap := h.docs.Load()
	out := &metav1.APIGroupList{
		TypeMeta: metav1.TypeMeta{Kind: "APIGroupList", APIVersion: "v1"},
		Groups:   make([]metav1.APIGroup, 0, len(snap.groups)),
	}
	for i := range snap.groups {
		out.Groups = append(out.Groups, *snap.groups[i].DeepCopy())
	}
	return out
}

// Group returns the APIGroup of /apis/<name>, or false when no version is served.
func (h *Handler) Group(name string) (*metav1.APIGroup, bool) {
	for _, g := range h.docs.Load().groups {
		if g.Name == name {
			out := g.DeepCopy()
			out.TypeMeta = metav1.TypeMeta{Kind: "APIGroup", APIVersion: "v1"}
			return out, true
		}
	}
	return nil, false
}

// Aggregated returns the aggregated discovery of /api (legacy) or /apis, for the
// aggregator to merge with its APIServices. The caller owns the copy.
func (h *Handler) Aggregated(legacy bool) *apidiscoveryv2.APIGroupDiscoveryList {
	snap := h.docs.Load()
	if legacy {
		return snap.legacy.list.DeepCopy()
	}
	return snap.apis.list.DeepCopy()
}

// ServeHTTP serves GET and HEAD of the discovery paths; other paths are NotFound.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeStatus(w, http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed,
			"the server does not allow this method on the requested resource")
		return
	}
	snap := h.docs.Load()
	parts := strings.Split(strings.TrimPrefix(strings.TrimSuffix(r.URL.Path, "/"), "/"), "/")
	switch {
	case len(parts) == 1 && parts[0] == "api":
		h.serveRoot(w, r, &snap.legacy, func() runtime.Object { return h.apiVersions(r, snap) })
		return
	case len(parts) == 1 && parts[0] == "apis":
		h.serveRoot(w, r, &snap.apis, func() runtime.Object { return h.GroupList() })
		return
	case len(parts) == 2 && parts[0] == "api":
		if list, ok := h.ResourceList(schema.GroupVersion{Version: parts[1]}); ok {
			h.servePlain(w, r, list)
			return
		}
	case len(parts) == 2 && parts[0] == "apis":
		if group, ok := h.Group(parts[1]); ok {
			h.servePlain(w, r, group)
			return
		}
	case len(parts) == 3 && parts[0] == "apis" && parts[1] != "":
		if list, ok := h.ResourceList(schema.GroupVersion{Group: parts[1], Version: parts[2]}); ok {
			h.servePlain(w, r, list)
			return
		}
	}
	if len(parts) >= 2 && parts[0] == "apis" && !h.HasGroup(parts[1]) {
		// Nothing serves the group: upstream's last handler answers, in plain text.
		http.NotFound(w, r)
		return
	}
	writeStatus(w, http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
}

// HasGroup reports whether name is a group served now (built-in or custom).
func (h *Handler) HasGroup(name string) bool {
	groups := h.docs.Load().groups
	for i := range groups {
		if groups[i].Name == name {
			return true
		}
	}
	return false
}

// apiVersions is the /api document, without apiVersion as upstream.
func (h *Handler) apiVersions(r *http.Request, snap *snapshot) *metav1.APIVersions {
	addr := r.Host
	if h.serverAddress != nil {
		addr = h.serverAddress(r)
	}
	return &metav1.APIVersions{
		TypeMeta: metav1.TypeMeta{Kind: "APIVersions"},
		Versions: slices.Clone(snap.coreVersions),
		ServerAddressByClientCIDRs: []metav1.ServerAddressByClientCIDR{
			{ClientCIDR: "0.0.0.0/0", ServerAddress: addr},
		},
	}
}

// serveRoot answers /api or /apis: aggregated discovery when the Accept header's
// first acceptable choice asks for it, the plain document otherwise.
func (h *Handler) serveRoot(w http.ResponseWriter, r *http.Request, doc *aggregatedDoc, plain func() runtime.Object) {
	f, aggregated, ok := h.negotiate(r.Header.Get("Accept"), true)
	if !ok {
		h.notAcceptable(w)
		return
	}
	if !aggregated {
		h.write(w, r, f, f.mediaType, plain())
		return
	}
	w.Header().Set("Vary", "Accept")
	if doc.etag != "" {
		quoted := `"` + doc.etag + `"`
		w.Header().Set("ETag", quoted)
		w.Header().Set("Cache-Control", "public")
		if r.Header.Get("If-None-Match") == quoted {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.write(w, r, f, f.mediaType+aggregatedParams, doc.list)
}

// servePlain answers a document that has no aggregated form.
func (h *Handler) servePlain(w http.ResponseWriter, r *http.Request, obj runtime.Object) {
	f, _, ok := h.negotiate(r.Header.Get("Accept"), false)
	if !ok {
		h.notAcceptable(w)
		return
	}
	h.write(w, r, f, f.mediaType, obj)
}

// negotiate picks the encoding from Accept, in the client's order of preference.
// Clauses that ask for a conversion ("as=...") are skipped unless they ask for
// aggregated discovery where it is allowed, as upstream's discovery endpoints do.
func (h *Handler) negotiate(accept string, allowAggregated bool) (f format, aggregated, ok bool) {
	if strings.TrimSpace(accept) == "" {
		return h.formats[0], false, true
	}
	for _, clause := range goautoneg.ParseAccept(accept) {
		f, ok := h.formatFor(clause.Type, clause.SubType)
		if !ok {
			continue
		}
		as, hasAs := clause.Params["as"]
		if !hasAs {
			return f, false, true
		}
		if allowAggregated && as == aggregatedKind &&
			clause.Params["g"] == aggregatedGroup && clause.Params["v"] == aggregatedVersion {
			return f, true, true
		}
	}
	return format{}, false, false
}

func (h *Handler) formatFor(typ, sub string) (format, bool) {
	if typ == "*" && sub == "*" || typ == "application" && sub == "*" {
		return h.formats[0], true
	}
	for _, f := range h.formats {
		if f.mediaType == typ+"/"+sub {
			return f, true
		}
	}
	return format{}, false
}

func (h *Handler) notAcceptable(w http.ResponseWriter) {
	types := make([]string, 0, len(h.formats))
	for _, f := range h.formats {
		types = append(types, f.mediaType)
	}
	writeStatus(w, http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable,
		"only the following media types are accepted: "+strings.Join(types, ", "))
}

// write encodes obj fully before writing, so an encoding failure still yields a Status.
func (h *Handler) write(w http.ResponseWriter, r *http.Request, f format, contentType string, obj runtime.Object) {
	enc := f.encoder
	if isPretty(r) {
		enc = f.pretty
	}
	var buf bytes.Buffer
	if err := enc.Encode(obj, &buf); err != nil {
		writeStatus(w, http.StatusInternalServerError, metav1.StatusReasonInternalError, err.Error())
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(buf.Bytes())
}

// isPretty follows upstream: ?pretty=true, or a browser or command-line user agent.
func isPretty(r *http.Request) bool {
	if p := r.URL.Query().Get("pretty"); p != "" {
		return p == "1" || p == "true"
	}
	ua := r.UserAgent()
	return strings.HasPrefix(ua, "curl") || strings.HasPrefix(ua, "Wget") || strings.HasPrefix(ua, "Mozilla/")
}

// writeStatus writes a failure Status as JSON, the form upstream's discovery errors take.
func writeStatus(w http.ResponseWriter, code int, reason metav1.StatusReason, msg string) {
	st := metav1.Status{
		TypeMeta: metav1.TypeMeta{Kind: "Status", APIVersion: "v1"},
		Status:   metav1.StatusFailure,
		Message:  msg,
		Reason:   reason,
		Details:  &metav1.StatusDetails{},
		Code:     int32(code),
	}
	data, _ := json.Marshal(st)
	w.Header().Set("Content-Type", mediaJSON)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write(append(data, '\n'))
}
