package endpoints

import (
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// MaxRequestBodyBytes is the largest request body accepted, as upstream (3 MiB).
const MaxRequestBodyBytes = 3 * 1024 * 1024

// Admission is the admission chain the write verbs call. Mutate runs before the
// object is prepared and validated, Validate after; old is nil on create and obj is
// nil on delete.
type Admission interface {
	Mutate(ctx context.Context, a *Attributes) error
	Validate(ctx context.Context, a *Attributes) error
}

// Attributes describe one admission request.
type Attributes struct {
	Operation   string // CREATE, UPDATE, DELETE, CONNECT
	Resource    schema.GroupVersionResource
	Kind        schema.GroupVersionKind
	Subresource string
	Namespace   string
	Name        string
	Object      runtime.Object
	OldObject   runtime.Object
	DryRun      bool
	// Options are the operation's options as upstream hands them to admission
	// (request.options of an AdmissionReview): *metav1.CreateOptions,
	// *metav1.UpdateOptions or *metav1.DeleteOptions with their type meta set; nil
	// for CONNECT, whose options object is the Object.
	Options runtime.Object
	// Types converts Object and OldObject (held in the storage version) to the
	// versions webhooks and policies ask for, and back: the endpoint's own
	// ObjectTypes, so a custom resource converts through its CRD. Nil means the
	// scheme.
	Types ObjectTypes
}

// API serves the resource endpoints of every registered resource.
type API struct {
	// compress gzips large GET and LIST responses for clients that accept it
	// (SetResponseCompression).
	compress bool
	scheme   *runtime.Scheme
	codecs   serializer.CodecFactory
	params   runtime.ParameterCodec
	// strict holds decoders that report unknown fields, by media type.
	strict   map[string]runtime.Serializer
	jsonInfo runtime.SerializerInfo
	// supported are the media types objects are served in; collectionProduces
	// adds the watch stream types (what upstream's router lists for each route).
	supported, collectionProduces []string
	// endpoints maps each served resource to its endpoint; resources registered at
	// run time (custom resources) replace the map, so readers never lock.
	endpoints atomic.Pointer[map[schema.GroupVersionResource]*endpoint]
	// addMu serializes Add and Remove.
	addMu     sync.Mutex
	admission Admission
	// fieldManagers track metadata.managedFields and serve server-side apply.
	fieldManagers *fieldManagers
	// encoded keeps recent watch event objects' encodings for the watchers that
	// share them.
	encoded encodeCache
	// listItemBytes is the size of the list item encodings every endpoint keeps.
	listItemBytes atomic.Int64
	// watches are the open watches, which StopWatches ends.
	watches openWatches
	// streams is cancelled at shutdown (StopWatches) to end every upgraded stream.
	streams    context.Context
	endStreams context.CancelFunc
	// minRequestTimeout is --min-request-timeout (see SetMinRequestTimeout).
	minRequestTimeout time.Duration
	// maxConnectionBytesPerSec is --max-connection-bytes-per-sec (see
	// SetMaxConnectionBytesPerSec).
	maxConnectionBytesPerSec int64
}

// StopWatches ends every upgraded stream and open watch, and the watches that
// start later; called when the server shuts down. Without grace the watches end at
// once; with it (--shutdown-watch-termination-grace-period) they end one after
// another, at least minWatchDrainRate a second, within about grace. It returns once
// the last watch was ended.
func (a *API) StopWatches(grace time.Duration) {
	a.endStreams()
	a.watches.stop(grace)
}

// endpoint is one served resource.
type endpoint struct {
	api   *API
	res   *registry.Resource
	store *registry.Store
	// types creates, defaults and converts the resource's objects: the scheme for
	// built-in resources, the CRD's own for custom resources.
	types ObjectTypes
	// fieldManagers track managed fields and serve apply for this resource.
	fieldManagers *fieldManagers
	// afterDecode, when set, runs on every decoded request body (served version) and
	// returns the unknown fields it dropped (custom resources' pruning).
	afterDecode func(obj runtime.Object) (unknown []string, err error)
	// custom marks a custom resource: no strategic merge patch, as upstream.
	custom bool
	// warning is sent with every request when the served kind is deprecated.
	warning string
	// lists keeps the encodings of listed objects (see listEncoder).
	listOnce sync.Once
	lists    *listEncoder
}

// New returns the API for stores. admission may be nil; types builds the schema of
// managed fields and apply (nil disables both).
func New(scheme *runtime.Scheme, stores []*registry.Store, admission Admission, types TypeConverterFunc) *API {
	codecs := serializer.NewCodecFactory(scheme)
	a := &API{
		scheme:            scheme,
		codecs:            codecs,
		params:            runtime.NewParameterCodec(scheme),
		strict:            strictSerializers(scheme),
		admission:         admission,
		fieldManagers:     &fieldManagers{build: types},
		minRequestTimeout: MinRequestTimeout,
	}
	a.streams, a.endStreams = context.WithCancel(context.Background())
	for _, info := range codecs.SupportedMediaTypes() {
		if info.MediaType == runtime.ContentTypeJSON {
			a.jsonInfo = info
		}
		a.supported = append(a.supported, info.MediaType)
	}
	a.collectionProduces = slices.Concat(a.supported, watchMediaTypes)
	eps := map[schema.GroupVersionResource]*endpoint{}
	for _, st := range stores {
		e := &endpoint{api: a, res: st.Resource(), store: st, types: scheme, fieldManagers: a.fieldManagers}
		st.SetManagedFields(e.managedFieldsStep)
		if obj, err := scheme.New(e.res.GroupVersionKind()); err == nil {
			e.warning = deprecationWarning(obj, e.res.GroupVersionKind())
		}
		eps[st.Resource().GroupVersionResource()] = e
	}
	a.endpoints.Store(&eps)
	return a
}

// endpoint returns the endpoint serving gvr, or nil.
func (a *API) endpoint(gvr schema.GroupVersionResource) *endpoint {
	return (*a.endpoints.Load())[gvr]
}

// Codecs returns the codec factory responses are encoded with.
func (a *API) Codecs() serializer.CodecFactory { return a.codecs }

// Store returns the store serving gvr.
func (a *API) Store(gvr schema.GroupVersionResource) *registry.Store {
	if e := a.endpoint(gvr); e != nil {
		return e.store
	}
	return nil
}

// decodeParams fills an options object (ListOptions, GetOptions, DeleteOptions,
// TableOptions) from the query string.
func (a *API) decodeParams(r *http.Request, into runtime.Object) error {
	from := schema.GroupVersion{Version: "v1"}
	if _, ok := into.(*metav1.TableOptions); ok {
		from = metav1.SchemeGroupVersion
	}
	return a.params.DecodeParameters(r.URL.Query(), from, into)
}

// NotFound returns the 404 error kube-apiserver gives for an unknown path.
func NotFound() error {
	err := statusError(http.StatusNotFound, metav1.StatusReasonNotFound, "the server could not find the requested resource")
	err.ErrStatus.Details = &metav1.StatusDetails{}
	return err
}

// ServeHTTP serves a resource request; the request-info filter must have run.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info, ok := request.InfoFrom(r.Context())
	if !ok || !info.IsResourceRequest {
		a.WriteError(w, r, NotFound())
		return
	}
	gvr := schema.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource}
	e := a.endpoint(gvr)
	if e == nil || (info.APIPrefix == "api") != (info.APIGroup == "") {
		a.WriteError(w, r, NotFound())
		return
	}
	if info.Verb == "proxy" { // upstream no longer serves the /proxy/ path prefix
		a.WriteError(w, r, NotFound())
		return
	}
	if info.Namespace != "" && !e.res.Namespaced && info.Resource != "namespaces" {
		a.WriteError(w, r, NotFound())
		return
	}
	// Admission plugins add warnings through the context; they become Warning headers.
	r = r.WithContext(request.WithWarningSink(r.Context(), func(msg string) { addWarnings(w, []string{msg}) }))
	switch info.Subresource {
	case "":
	case "status":
		if !e.res.Status {
			a.WriteError(w, r, NotFound())
			return
		}
	case "scale":
		if e.res.Scale == nil {
			a.WriteError(w, r, NotFound())
			return
		}
		if err := e.acceptCheck(r, info); err != nil {
			a.WriteError(w, r, err)
			return
		}
		e.serveScale(w, r, info)
		return
	default:
		sub := e.res.Subresource(info.Subresource)
		if sub == nil {
			a.WriteError(w, r, NotFound())
			return
		}
		if sub.Connect != nil {
			e.connect(w, r, info, sub)
			return
		}
		if sub.Create != nil && info.Verb == "create" {
			if err := e.acceptCheck(r, info); err != nil {
				a.WriteError(w, r, err)
				return
			}
			e.createSubresource(w, r, info.Namespace, info.Name, sub)
			return
		}
		// GET of an updatable subresource reads the parent, as upstream's.
		if sub.Update == nil || !slices.Contains(sub.Verbs, info.Verb) {
			a.WriteError(w, r, methodNotAllowed())
			return
		}
	}
	if !e.res.AllowsVerb(info.Verb) && info.Subresource == "" {
		a.WriteError(w, r, methodNotAllowed())
		return
	}
	if len(info.Parts) > 3 {
		a.WriteError(w, r, NotFound())
		return
	}
	ns := info.Namespace
	if !e.res.Namespaced {
		ns = ""
	}
	if e.warning != "" {
		addWarnings(w, []string{e.warning})
	}
	// A method the path does not serve is refused before the Accept header is
	// looked at, as upstream's router does.
	if (info.Verb == "create" && info.Name != "") || ((info.Verb == "update" || info.Verb == "patch") && info.Name == "") ||
		(info.Verb == "delete" && info.Subresource != "") {
		a.WriteError(w, r, methodNotAllowed())
		return
	}
	if err := e.acceptCheck(r, info); err != nil {
		a.WriteError(w, r, err)
		return
	}
	switch info.Verb {
	case "get", "list":
		if a.compress && acceptsGzip(r) {
			cw := newCompressingWriter(w)
			defer cw.Close()
			w = cw
		}
		if info.Verb == "get" {
			e.get(w, r, ns, info.Name)
		} else {
			e.list(w, r, ns)
		}
	case "watch":
		e.watch(w, r, ns, info.Name)
	case "create":
		e.create(w, r, ns)
	case "update":
		e.update(w, r, ns, info.Name, info.Subresource)
	case "patch":
		e.patch(w, r, ns, info.Name, info.Subresource)
	case "delete":
		e.delete(w, r, ns, info.Name)
	case "deletecollection":
		e.deleteCollection(w, r, ns)
	default:
		a.WriteError(w, r, methodNotAllowed())
	}
}

// methodNotAllowed is upstream router's answer to a method a path does not take.
func methodNotAllowed() error {
	err := statusError(http.StatusMethodNotAllowed, metav1.StatusReasonMethodNotAllowed, "the server does not allow this method on the requested resource")
	err.ErrStatus.Details = &metav1.StatusDetails{}
	return err
}

// writeRequest reads what every write needs from a request: the negotiated
// response encoding, the dryRun flag (of options of kind optionsKind) and the body.
func (e *endpoint) writeRequest(r *http.Request, optionsKind string) (out output, dry bool, body []byte, err error) {
	if out, err = e.negotiateOutput(r, false); err != nil {
		return out, false, nil, err
	}
	if dry, err = dryRun(r, optionsKind); err != nil {
		return out, false, nil, err
	}
	body, err = readBody(r)
	return out, dry, body, err
}

// readBody reads at most MaxRequestBodyBytes of the request body.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, MaxRequestBodyBytes+1))
	if err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	if len(data) > MaxRequestBodyBytes {
		return nil, apierrors.NewRequestEntityTooLargeError("limit is 3145728")
	}
	return data, nil
}

// dryRun parses the dryRun query parameter of a write whose options are of kind
// optionsKind (CreateOptions, UpdateOptions, PatchOptions or DeleteOptions): "All"
// or nothing.
func dryRun(r *http.Request, optionsKind string) (bool, error) {
	vals := r.URL.Query()["dryRun"]
	if err := checkDryRun(vals, optionsKind); err != nil {
		return false, err
	}
	return len(vals) > 0, nil
}

// checkDryRun refuses dryRun values other than "All" with upstream's 422 on the
// options kind.
func checkDryRun(vals []string, optionsKind string) error {
	for _, v := range vals {
		if v != metav1.DryRunAll {
			return apierrors.NewInvalid(schema.GroupKind{Group: metav1.GroupName, Kind: optionsKind}, "",
				field.ErrorList{field.NotSupported(field.NewPath("dryRun"), vals, []string{metav1.DryRunAll})})
		}
	}
	return nil
}
