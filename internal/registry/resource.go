package registry

import (
	"context"
	"net/http"
	"net/url"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Resource describes one served resource of one group/version. Resources served in
// several versions (core/v1 and events.k8s.io/v1 events) are several Resources that
// share StorageKind and KeyPrefix; the scheme converts between the served and storage
// types. The hook functions are optional unless stated; they may mutate only obj.
type Resource struct {
	// GroupVersion is the served group/version, Name the plural resource name.
	GroupVersion schema.GroupVersion
	Name         string
	SingularName string
	Kind         string
	// ListKind is the kind of lists; empty means Kind+"List" (CRDs may name another).
	ListKind   string
	ShortNames []string
	Categories []string
	Namespaced bool
	// Verbs lists the verbs for discovery; nil means the full set.
	Verbs []string

	// StorageKind is the type held in memory and written to etcd (protobuf).
	StorageKind schema.GroupVersionKind
	// EncodeAs, when set, is the kind values are written to etcd as, when upstream
	// stores a version other than StorageKind (a beta version of a GA resource).
	EncodeAs schema.GroupVersionKind
	// Internalize, when set, does to every decoded request body (in the served
	// version, after defaulting) what upstream's conversion to its internal type
	// does before field tracking and admission see it: a Secret's stringData is
	// merged into data.
	Internalize func(obj runtime.Object)
	// OnDecode, when set, is called on every object read from etcd, to restore what
	// the storage encoding cannot carry.
	OnDecode func(obj runtime.Object)
	// StoreAsJSON writes values as JSON instead of protobuf, as upstream does for the
	// apiextensions and apiregistration groups.
	StoreAsJSON bool
	// KeyPrefix is the path under the etcd prefix: "pods", "minions", "services/specs",
	// "deployments", "leases" ...
	KeyPrefix string

	// TrackGeneration bumps metadata.generation on every change outside metadata and
	// status (resources with a spec).
	TrackGeneration bool
	// ReturnDeletedObject answers DELETE with the object instead of a Success Status.
	ReturnDeletedObject bool

	// Status is true when the resource has a status subresource: the main resource
	// ignores status changes and /status changes only status.
	Status bool
	// StatusTakesMetadata is upstream's older status strategies (pods, nodes,
	// workloads, CSRs, CRDs ...): an update through /status also takes the request's
	// labels, annotations, finalizers and owner references, where the newer ones
	// (and custom resources) keep the stored metadata. KeepOnStatusUpdate, when set,
	// carries over what such a resource's status update still may not change.
	StatusTakesMetadata bool
	KeepOnStatusUpdate  func(obj, old metav1.Object)
	// Scale, when set, serves the scale subresource.
	Scale *Scale

	// Subresources are the resource's other subresources (namespaces/finalize, ...).
	Subresources []Subresource

	// Create, Get and List, when set, serve those verbs instead of storage: the
	// resource is virtual (bindings, componentstatuses). KeyPrefix is empty for such
	// resources. List returns the list object in the storage kind's version.
	Create func(ctx context.Context, namespace string, obj runtime.Object, dryRun bool) (runtime.Object, error)
	Get    func(ctx context.Context, name string) (runtime.Object, error)
	List   func(ctx context.Context) (runtime.Object, error)

	// ValidateName checks metadata.name (prefix is true for generateName). nil means
	// DNS-1123 subdomain, the rule of most resources.
	ValidateName func(name string, prefix bool) []string

	// PrepareForCreate clears fields a client may not set on create, after defaulting.
	PrepareForCreate func(obj runtime.Object)
	// PrepareForUpdate carries over fields a client may not change on update.
	PrepareForUpdate func(obj, old runtime.Object)
	// Validate and ValidateUpdate check the whole object, metadata included; when nil
	// only the metadata is checked.
	Validate       func(obj runtime.Object) field.ErrorList
	ValidateUpdate func(obj, old runtime.Object) field.ErrorList
	// ValidateStatusUpdate checks an update through /status.
	ValidateStatusUpdate func(obj, old runtime.Object) field.ErrorList

	// AuthorizeWrite, when set, runs before admission on a create (old is nil) or an
	// update through the main resource, to refuse what authorization alone cannot
	// judge: RBAC's escalation prevention.
	AuthorizeWrite func(ctx context.Context, obj, old runtime.Object) error

	// BeginCreate runs after validation and admission, just before the object is
	// written, to take what the object needs (a Service's ClusterIP). finish is called
	// with whether the write succeeded, so that a failed create releases it. On a
	// dry run it must take nothing.
	BeginCreate func(ctx context.Context, obj runtime.Object, dryRun bool) (finish func(ok bool), err error)
	// BeginUpdate is BeginCreate for an update through the main resource: it runs
	// after validation with the old object, and finish is called with whether the
	// write succeeded (a Service's node ports are taken here and the dropped ones
	// freed on success). It may run again when the write is retried on a conflict.
	BeginUpdate func(ctx context.Context, obj, old runtime.Object, dryRun bool) (finish func(ok bool), err error)
	// Warnings returns the Warning headers a create (old is nil) or an update through
	// the main resource answers with, as upstream's WarningsOnCreate/OnUpdate.
	Warnings func(obj, old runtime.Object) []string
	// OrphanByDefault makes a delete without a propagation policy orphan the
	// dependents, upstream's OrphanDependents default GC policy (core/v1
	// replicationcontrollers, batch/v1 jobs). OrphanWarning, when set, is the Warning
	// such a delete answers with.
	OrphanByDefault bool
	OrphanWarning   string
	// RefuseDelete, when set, is asked before a DELETE of one object by name and
	// returns the error that refuses it (the system priority classes). As upstream,
	// deletecollection does not ask.
	RefuseDelete func(name string) error
	// AfterDelete runs after the object was removed from storage.
	AfterDelete func(ctx context.Context, obj runtime.Object)

	// GracePeriod returns how long a deleted object lingers before it goes (pods wait
	// for the kubelet), given the DeleteOptions' gracePeriodSeconds; 0 deletes at once.
	GracePeriod func(obj runtime.Object, requested *int64) int64

	// PrepareForDelete runs on the current object when it is deleted and returns true
	// when the object must stay (updated instead of removed), as a namespace becomes
	// Terminating. It may mutate obj.
	PrepareForDelete func(obj runtime.Object) (keep bool)

	// AllowCreateOnUpdate lets PUT create a missing object (upstream: events, leases,
	// endpoints, limitranges, services). RequireResourceVersion refuses an update
	// without metadata.resourceVersion (upstream: leases); others accept it as an
	// unconditional overwrite.
	AllowCreateOnUpdate    bool
	RequireResourceVersion bool

	// SelectableFields returns the fields selectors may use beyond metadata.name and
	// metadata.namespace, which are always present.
	SelectableFields func(obj runtime.Object) fields.Set

	// FieldLabelConversion checks (and may rename) each field selector label as the
	// resource's served version does upstream. nil accepts metadata.name,
	// metadata.namespace and the keys of SelectableFields.
	FieldLabelConversion func(label, value string) (string, string, error)

	// Table renders rows for `as=Table` responses; nil gives Name and Age.
	Table *Table
}

// GroupVersionResource returns the served group/version/resource.
func (r *Resource) GroupVersionResource() schema.GroupVersionResource {
	return r.GroupVersion.WithResource(r.Name)
}

// ListKindName returns the kind of the resource's lists.
func (r *Resource) ListKindName() string {
	if r.ListKind != "" {
		return r.ListKind
	}
	return r.Kind + "List"
}

// GroupVersionKind returns the served kind.
func (r *Resource) GroupVersionKind() schema.GroupVersionKind {
	return r.GroupVersion.WithKind(r.Kind)
}

// Table says how a resource prints in `kubectl get`: the column definitions, and the
// cells of one object's row in the same order. Columns with Priority 1 appear only in
// `-o wide`.
type Table struct {
	Columns []metav1.TableColumnDefinition
	Cells   func(obj runtime.Object) ([]any, error)
	// ListCells, when set, renders the rows of a list response instead of Cells, for
	// printers whose rows depend on the whole list (the default StorageClass).
	ListCells func(objs []runtime.Object) ([][]any, error)
}

// Scale reads and writes the replica count of a resource for its scale subresource.
type Scale struct {
	// Replicas returns spec.replicas, status.replicas and the status label selector
	// in string form.
	Get func(obj runtime.Object) (specReplicas, statusReplicas int32, selector string)
	// SetReplicas sets spec.replicas.
	SetReplicas func(obj runtime.Object, replicas int32)
	// ReplicasPath is where the parent keeps its desired replica count, for managed
	// fields; nil means spec.replicas. Custom resources name it in their CRD.
	ReplicasPath []string
}

// Subresource is a subresource beyond status and scale.
type Subresource struct {
	Name string
	// Kind is what the subresource reads and writes; in the parent's group version
	// when Version is empty (see Resource.SubresourceKind).
	Kind  schema.GroupVersionKind
	Verbs []string
	// Update, when set, serves PUT: it returns the object to store from the body
	// (of the parent's type) and a copy of the current object it may mutate.
	Update func(requested, current runtime.Object) runtime.Object
	// ValidateUpdate checks an update through the subresource; nil checks metadata.
	ValidateUpdate func(obj, old runtime.Object) field.ErrorList
	// Create, when set, serves POST with a body of Kind (pods/binding); it returns
	// the response object.
	Create func(ctx context.Context, namespace, name string, obj runtime.Object, dryRun bool) (runtime.Object, error)
	// Connect, when set, serves the subresource by handing the request over
	// (pods/log, pods/exec, the proxy subresources) for the HTTP methods in
	// ConnectMethods.
	Connect        ConnectFunc
	ConnectMethods []string
	// OptionsKind is the query options type of a connect subresource that reads its
	// parent's kind (pods/log: PodLogOptions); the other connect subresources' Kind
	// is their options type. OpenAPI describes the query parameters from it.
	OptionsKind schema.GroupVersionKind
	// Subpaths is true when a connect subresource also serves the paths below it
	// (the proxies: pods/proxy/{path}).
	Subpaths bool
}

// ConnectRequest is one request to a connect subresource.
type ConnectRequest struct {
	Namespace, Name string
	// Path is the rest of the URL path after the subresource ("/a/b/"), for proxies.
	Path  string
	Query url.Values
	// Stop is closed when the server shuts down: streams must end.
	Stop <-chan struct{}
	// MaxBytesPerSec, when positive, throttles an upgraded stream to that many bytes
	// a second each way (--max-connection-bytes-per-sec).
	MaxBytesPerSec int64
	// Error writes an error as a Status, for the handler's own failures.
	Error func(w http.ResponseWriter, r *http.Request, err error)
}

// ConnectFunc returns the handler serving one connect request; an error is answered
// as a Status before anything is written.
type ConnectFunc func(ctx context.Context, req ConnectRequest) (http.Handler, error)

// SubresourceKind is the kind sub reads and writes, in r's group version when sub
// names no version.
func (r *Resource) SubresourceKind(sub *Subresource) schema.GroupVersionKind {
	if sub.Kind.Version == "" {
		return r.GroupVersion.WithKind(sub.Kind.Kind)
	}
	return sub.Kind
}

// Subresource returns the extra subresource called name, or nil.
func (r *Resource) Subresource(name string) *Subresource {
	for i := range r.Subresources {
		if r.Subresources[i].Name == name {
			return &r.Subresources[i]
		}
	}
	return nil
}

// AllowsVerb reports whether the resource serves verb.
func (r *Resource) AllowsVerb(verb string) bool {
	if r.Verbs == nil {
		return true
	}
	for _, v := range r.Verbs {
		if v == verb {
			return true
		}
	}
	return false
}

// DefaultVerbs is the verb set of an ordinary resource.
var DefaultVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}
