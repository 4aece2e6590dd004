package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/storage"
)

// Storage backends of the apiserver_storage_list_* metrics, as upstream names them.
const (
	BackendEtcd       = "etcd"
	BackendWatchCache = "watchcache"
)

type storageMetrics struct {
	etcdDuration *prometheus.HistogramVec
	etcdTotal    *prometheus.CounterVec
	etcdErrors   *prometheus.CounterVec
	listTotal    *prometheus.CounterVec
	listFetched  *prometheus.CounterVec
	listEvalued  *prometheus.CounterVec
	listReturned *prometheus.CounterVec
	listDuration *prometheus.HistogramVec
}

func newStorageMetrics() *storageMetrics {
	opLabels := []string{"operation", "group", "resource"}
	return &storageMetrics{
		etcdDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "etcd_request_duration_seconds",
			Help:    "Etcd request latency in seconds for each operation and object type.",
			Buckets: latencyBuckets,
		}, opLabels),
		etcdTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "etcd_requests_total",
			Help: "Etcd request counts for each operation and object type.",
		}, opLabels),
		etcdErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "etcd_request_errors_total",
			Help: "Etcd failed request counts for each operation and object type.",
		}, opLabels),
		listTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_storage_list_total",
			Help: "Number of LIST requests served from storage",
		}, []string{"group", "resource", "storage", "index"}),
		listFetched: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_storage_list_fetched_objects_total",
			Help: "Number of objects read from storage in the course of serving a LIST request",
		}, []string{"group", "resource", "storage", "index"}),
		listEvalued: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_storage_list_evaluated_objects_total",
			Help: "Number of objects tested in the course of serving a LIST request from storage",
		}, []string{"group", "resource", "storage"}),
		listReturned: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_storage_list_returned_objects_total",
			Help: "Number of objects returned for a LIST request from storage",
		}, []string{"group", "resource", "storage"}),
		listDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_storage_list_duration_seconds",
			Help:    "Latency of the storage layer GetList call in seconds, including object decode, split by whether etcd RangeStream was used.",
			Buckets: latencyBuckets,
		}, []string{"streamed", "group", "resource"}),
	}
}

func (s *storageMetrics) register(reg prometheus.Registerer) {
	reg.MustRegister(s.etcdDuration, s.etcdTotal, s.etcdErrors, s.listTotal, s.listFetched, s.listEvalued, s.listReturned, s.listDuration)
}

func (s *storageMetrics) etcdRequest(op string, gr schema.GroupResource, err error, start time.Time) {
	s.etcdDuration.WithLabelValues(op, gr.Group, gr.Resource).Observe(time.Since(start).Seconds())
	s.etcdTotal.WithLabelValues(op, gr.Group, gr.Resource).Inc()
	if err != nil {
		s.etcdErrors.WithLabelValues(op, gr.Group, gr.Resource).Inc()
	}
}

// ObserveList records the cost of one LIST served by a storage backend (BackendEtcd
// or BackendWatchCache): objects fetched, evaluated against the selector, returned.
func (m *Metrics) ObserveList(gr schema.GroupResource, backend string, fetched, evaluated, returned int) {
	s := m.storage
	s.listTotal.WithLabelValues(gr.Group, gr.Resource, backend, "").Inc()
	s.listFetched.WithLabelValues(gr.Group, gr.Resource, backend, "").Add(float64(fetched))
	s.listEvalued.WithLabelValues(gr.Group, gr.Resource, backend).Add(float64(evaluated))
	s.listReturned.WithLabelValues(gr.Group, gr.Resource, backend).Add(float64(returned))
}

// ListObserver returns ObserveList bound to gr and the watch cache backend, the shape
// cacher.Config's list hook takes.
func (m *Metrics) ListObserver(gr schema.GroupResource) func(evaluated, returned int) {
	return func(evaluated, returned int) { m.ObserveList(gr, BackendWatchCache, evaluated, evaluated, returned) }
}

// InstrumentStorage wraps the etcd store of gr so that every call is counted and
// timed as an etcd request and every list's cost is recorded. The wrapper still
// offers the store's Client and Codec, which the watch cache looks for.
func (m *Metrics) InstrumentStorage(gr schema.GroupResource, s storage.Interface) storage.Interface {
	return &instrumentedStorage{Interface: s, gr: gr, m: m}
}

type instrumentedStorage struct {
	storage.Interface
	gr schema.GroupResource
	m  *Metrics
}

var _ storage.Interface = (*instrumentedStorage)(nil)

// Client returns the wrapped store's etcd client, or nil.
func (s *instrumentedStorage) Client() *clientv3.Client {
	if c, ok := s.Interface.(interface{ Client() *clientv3.Client }); ok {
		return c.Client()
	}
	return nil
}

// LastWriteRevision returns the wrapped store's, or 0 when it keeps none.
func (s *instrumentedStorage) LastWriteRevision() int64 {
	if w, ok := s.Interface.(interface{ LastWriteRevision() int64 }); ok {
		return w.LastWriteRevision()
	}
	return 0
}

// Codec returns the wrapped store's codec, or nil.
func (s *instrumentedStorage) Codec() runtime.Codec {
	if c, ok := s.Interface.(interface{ Codec() runtime.Codec }); ok {
		return c.Codec()
	}
	return nil
}

func (s *instrumentedStorage) Create(ctx context.Context, key string, obj, out runtime.Object) error {
	start := time.Now()
	err := s.Interface.Create(ctx, key, obj, out)
	s.m.storage.etcdRequest("create", s.gr, err, start)
	return err
}

func (s *instrumentedStorage) Get(ctx context.Context, key string, opts storage.GetOptions, out runtime.Object) error {
	start := time.Now()
	err := s.Interface.Get(ctx, key, opts, out)
	s.m.storage.etcdRequest("get", s.gr, notFoundIsNoError(err), start)
	return err
}

func (s *instrumentedStorage) GetList(ctx context.Context, key string, opts storage.ListOptions, listObj runtime.Object) error {
	start := time.Now()
	err := s.Interface.GetList(ctx, key, opts, listObj)
	s.m.storage.etcdRequest("list", s.gr, err, start)
	if err == nil {
		s.m.storage.listDuration.WithLabelValues("false", s.gr.Group, s.gr.Resource).Observe(time.Since(start).Seconds())
		n := meta.LenList(listObj)
		s.m.ObserveList(s.gr, BackendEtcd, n, n, n)
	}
	return err
}

func (s *instrumentedStorage) Watch(ctx context.Context, key string, opts storage.ListOptions) (watch.Interface, error) {
	return s.Interface.Watch(ctx, key, opts)
}

func (s *instrumentedStorage) GuaranteedUpdate(ctx context.Context, key string, destination runtime.Object, ignoreNotFound bool,
	preconditions *storage.Preconditions, tryUpdate storage.UpdateFunc) error {
	start := time.Now()
	err := s.Interface.GuaranteedUpdate(ctx, key, destination, ignoreNotFound, preconditions, tryUpdate)
	s.m.storage.etcdRequest("update", s.gr, err, start)
	return err
}

func (s *instrumentedStorage) Delete(ctx context.Context, key string, out runtime.Object, preconditions *storage.Preconditions,
	validate storage.ValidateDeleteFunc) error {
	start := time.Now()
	err := s.Interface.Delete(ctx, key, out, preconditions, validate)
	s.m.storage.etcdRequest("delete", s.gr, err, start)
	return err
}

func (s *instrumentedStorage) CurrentRevision(ctx context.Context) (uint64, error) {
	start := time.Now()
	rv, err := s.Interface.CurrentRevision(ctx)
	s.m.storage.etcdRequest("getCurrentResourceVersion", s.gr, err, start)
	return rv, err
}

// notFoundIsNoError keeps a read of a missing key out of the error counter: etcd
// answered it fine.
func notFoundIsNoError(err error) error {
	if storage.IsNotFound(err) {
		return nil
	}
	return err
}
