package apiextensions

import (
	"context"
	"log/slog"
	"net/url"
	"slices"
	"sort"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/storage"
)

// Config is what the manager needs from the server.
type Config struct {
	// CRDs is the customresourcedefinitions store.
	CRDs *registry.Store
	// API serves the custom resources' endpoints.
	API *endpoints.API
	// Codec is the JSON codec custom resources are stored with.
	Codec runtime.Codec
	// NewStorage returns the storage of a custom resource (a watch cache over etcd)
	// reading and writing values with codec; stop releases it.
	NewStorage func(res *registry.Resource, codec runtime.Codec, newFunc, newList func() runtime.Object) (st storage.Interface, stop func(), err error)
	// EtcdPrefix is the key prefix of every resource ("/registry").
	EtcdPrefix string
	// DeleteCollectionWorkers is --delete-collection-workers (Store.SetDeleteCollectionWorkers).
	DeleteCollectionWorkers int
	// Publish is told the custom resources now served and the CRDs they come from,
	// for discovery and OpenAPI.
	Publish func(resources []*registry.Resource, crds []*apiextensionsv1.CustomResourceDefinition)
	// ResolveService turns a conversion webhook's service reference into a URL.
	ResolveService func(namespace, name string, port int32) (*url.URL, error)
}

// Manager keeps the served custom resources in step with the CRDs.
type Manager struct {
	cfg Config

	mu sync.Mutex
	// crds holds the newest CRDs seen, by name.
	crds map[string]*apiextensionsv1.CustomResourceDefinition
	// served holds what each served CRD registered, by CRD name.
	served map[string]*served

	names    *controlplane.Queue
	finalize *controlplane.Queue
}

// served is one CRD's registration.
type served struct {
	manager *Manager
	// crd is the definition served; the manager replaces it (under its lock) when
	// only conditions change.
	crd *apiextensionsv1.CustomResourceDefinition
	// def is the definition the endpoints were built from; it never changes, so
	// request paths read it without the lock.
	def      *apiextensionsv1.CustomResourceDefinition
	types    *objectTypes
	versions map[string]*servedVersion
	stores   map[string]*registry.Store // by served version
	stop     func()
}

var crdResource = schema.GroupResource{Group: apiextensionsv1.GroupName, Resource: "customresourcedefinitions"}

// New returns a manager; Start serves the existing CRDs.
func New(cfg Config) *Manager {
	return &Manager{
		cfg:      cfg,
		crds:     map[string]*apiextensionsv1.CustomResourceDefinition{},
		served:   map[string]*served{},
		names:    controlplane.NewQueue("crd-naming"),
		finalize: controlplane.NewQueue("crd-finalizer"),
	}
}

// Start serves every CRD that is stored, so that custom resources are there when the
// server turns ready, then follows changes until ctx ends.
func (m *Manager) Start(ctx context.Context) error {
	rv, err := m.relist(ctx)
	if err != nil {
		return err
	}
	for _, name := range m.crdNames() {
		if err := m.sync(ctx, name); err != nil {
			slog.Warn("serving custom resource definition", "crd", name, "err", err)
			m.names.Add(name)
		}
	}
	go m.names.Run(ctx, 1, m.sync)
	go m.finalize.Run(ctx, 1, m.syncFinalizer)
	go m.follow(ctx, rv)
	return nil
}

func (m *Manager) crdNames() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]string, 0, len(m.crds))
	for name := range m.crds {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// relist reads every CRD and returns the list's resourceVersion.
func (m *Manager) relist(ctx context.Context) (string, error) {
	obj, err := m.cfg.CRDs.List(ctx, "", &metav1.ListOptions{})
	if err != nil {
		return "", err
	}
	list := obj.(*apiextensionsv1.CustomResourceDefinitionList)
	m.mu.Lock()
	seen := map[string]bool{}
	for i := range list.Items {
		crd := &list.Items[i]
		m.crds[crd.Name] = crd
		seen[crd.Name] = true
	}
	var gone []string
	for name := range m.crds {
		if !seen[name] {
			delete(m.crds, name)
			gone = append(gone, name)
		}
	}
	m.mu.Unlock()
	for _, name := range gone {
		m.names.Add(name)
	}
	return list.ResourceVersion, nil
}

// follow watches the CRDs and queues every change; a broken watch relists and
// queues every CRD.
func (m *Manager) follow(ctx context.Context, rv string) {
	m.cfg.CRDs.Follow(ctx, rv, func(obj runtime.Object, deleted bool) {
		crd, ok := obj.(*apiextensionsv1.CustomResourceDefinition)
		if !ok {
			return
		}
		m.mu.Lock()
		if deleted {
			delete(m.crds, crd.Name)
		} else {
			m.crds[crd.Name] = crd
		}
		m.mu.Unlock()
		m.names.Add(crd.Name)
	}, func(ctx context.Context) (string, error) {
		rv, err := m.relist(ctx)
		if err == nil {
			for _, name := range m.crdNames() {
				m.names.Add(name)
			}
		}
		return rv, err
	})
}

// sync brings one CRD's names, conditions and serving up to date.
func (m *Manager) sync(ctx context.Context, name string) error {
	obj, err := m.cfg.CRDs.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		m.unserve(name)
		return nil
	}
	if err != nil {
		return err
	}
	crd := obj.(*apiextensionsv1.CustomResourceDefinition)
	m.mu.Lock()
	m.crds[name] = crd
	others := make([]*apiextensionsv1.CustomResourceDefinition, 0, len(m.crds))
	for _, o := range m.crds {
		others = append(others, o)
	}
	m.mu.Unlock()

	if crd.DeletionTimestamp != nil {
		// A terminating CRD is still served (reads, deletes) until it goes.
		if err := m.serve(crd); err != nil {
			return err
		}
		m.finalize.Add(name)
		return nil
	}
	want := crd.DeepCopy()
	names, accepted := acceptNames(want, others)
	want.Status.AcceptedNames = names
	setCondition(want, accepted)
	if accepted.Status == apiextensionsv1.ConditionTrue {
		// Serve first, then say Established: a client that sees the condition finds
		// the endpoints.
		if err := m.serve(want); err != nil {
			return err
		}
		setCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established,
			Status: apiextensionsv1.ConditionTrue, Reason: "InitialNamesAccepted", Message: "the initial names have been accepted"})
	} else if condition(want, apiextensionsv1.Established) == nil {
		setCondition(want, apiextensionsv1.CustomResourceDefinitionCondition{Type: apiextensionsv1.Established,
			Status: apiextensionsv1.ConditionFalse, Reason: "NotAccepted", Message: "not all names are accepted"})
	}
	if equality.Semantic.DeepEqual(want.Status, crd.Status) {
		return nil
	}
	updated, err := m.updateStatus(ctx, name, func(cur *apiextensionsv1.CustomResourceDefinition) {
		cur.Status.AcceptedNames = want.Status.AcceptedNames
		for _, c := range want.Status.Conditions {
			setCondition(cur, c)
		}
	})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		m.names.Add(name)
		return nil
	}
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.crds[name] = updated
	m.mu.Unlock()
	if isTrue(updated, apiextensionsv1.Established) {
		return m.serve(updated)
	}
	return nil
}

// updateStatus changes a CRD's status through the status subresource.
func (m *Manager) updateStatus(ctx context.Context, name string, change func(*apiextensionsv1.CustomResourceDefinition)) (*apiextensionsv1.CustomResourceDefinition, error) {
	out, _, err := m.cfg.CRDs.Update(ctx, "", name, "status", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(crdResource, name)
		}
		crd := current.(*apiextensionsv1.CustomResourceDefinition)
		change(crd)
		return crd, nil
	}, nil, nil, false, false)
	if err != nil {
		return nil, err
	}
	return out.(*apiextensionsv1.CustomResourceDefinition), nil
}

// serve registers (or re-registers, when its definition changed) crd's served
// versions under its accepted names.
func (m *Manager) serve(crd *apiextensionsv1.CustomResourceDefinition) error {
	if crd.Status.AcceptedNames.Plural == "" || crd.Status.AcceptedNames.Kind == "" {
		return nil
	}
	m.mu.Lock()
	cur := m.served[crd.Name]
	m.mu.Unlock()
	if cur != nil && cur.crd.UID == crd.UID && equality.Semantic.DeepEqual(cur.crd.Spec, crd.Spec) &&
		equality.Semantic.DeepEqual(cur.crd.Status.AcceptedNames, crd.Status.AcceptedNames) {
		if !slices.Equal(conditionsKey(cur.crd), conditionsKey(crd)) {
			m.mu.Lock()
			cur.crd = crd
			m.mu.Unlock()
			m.publish()
		}
		return nil
	}
	next, err := m.build(crd)
	if err != nil {
		return err
	}
	m.mu.Lock()
	old := m.served[crd.Name]
	m.served[crd.Name] = next
	m.mu.Unlock()
	for _, st := range next.stores {
		m.cfg.API.Add(st, next.custom(st))
	}
	if old != nil {
		for v, st := range old.stores {
			if next.stores[v] == nil || st.Resource().GroupVersionResource() != next.stores[v].Resource().GroupVersionResource() {
				m.cfg.API.Remove(st.Resource().GroupVersionResource())
			}
		}
		old.stop()
	}
	m.publish()
	return nil
}

// conditionsKey summarizes the conditions that change what is published.
func conditionsKey(crd *apiextensionsv1.CustomResourceDefinition) []string {
	return []string{
		string(conditionStatus(crd, apiextensionsv1.Established)),
		string(conditionStatus(crd, apiextensionsv1.Terminating)),
	}
}

func conditionStatus(crd *apiextensionsv1.CustomResourceDefinition, t apiextensionsv1.CustomResourceDefinitionConditionType) apiextensionsv1.ConditionStatus {
	if c := condition(crd, t); c != nil {
		return c.Status
	}
	return ""
}

// unserve removes a deleted CRD's endpoints.
func (m *Manager) unserve(name string) {
	m.mu.Lock()
	old := m.served[name]
	delete(m.served, name)
	delete(m.crds, name)
	m.mu.Unlock()
	if old == nil {
		return
	}
	for _, st := range old.stores {
		m.cfg.API.Remove(st.Resource().GroupVersionResource())
	}
	old.stop()
	m.publish()
}

// publish tells discovery and OpenAPI what is served now: Established CRDs only.
func (m *Manager) publish() {
	if m.cfg.Publish == nil {
		return
	}
	m.mu.Lock()
	var resources []*registry.Resource
	var crds []*apiextensionsv1.CustomResourceDefinition
	names := make([]string, 0, len(m.served))
	for name := range m.served {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := m.served[name]
		if !isTrue(s.crd, apiextensionsv1.Established) {
			continue
		}
		crds = append(crds, s.crd)
		for _, v := range s.crd.Spec.Versions {
			if st := s.stores[v.Name]; st != nil {
				resources = append(resources, st.Resource())
			}
		}
	}
	m.mu.Unlock()
	m.cfg.Publish(resources, crds)
}
