package metrics

import (
	"net/http"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
)

// Metrics is the server's set of metrics and the registry /metrics serves.
type Metrics struct {
	registry *prometheus.Registry

	requests    *requestMetrics
	inflight    *inflightTracker
	storage     *storageMetrics
	watchEvents *prometheus.CounterVec
	watchSizes  *prometheus.HistogramVec
	caches      *cacheCollector

	// podSecurityOnce guards podSecurity, registered when PodSecurity is built.
	podSecurityOnce sync.Once
	podSecurity     *PodSecurity
}

// New creates and registers every metric, with the process and Go runtime collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		registry: reg,
		requests: newRequestMetrics(),
		inflight: newInflightTracker(),
		storage:  newStorageMetrics(),
		watchEvents: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_watch_events_total",
			Help: "Number of events sent in watch clients",
		}, []string{"group", "version", "resource"}),
		watchSizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_watch_events_sizes",
			Help:    "Watch event size distribution in bytes",
			Buckets: prometheus.ExponentialBuckets(1024, 2, 8),
		}, []string{"group", "version", "resource"}),
		caches: &cacheCollector{},
	}
	reg.MustRegister(
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewGoCollector(),
		m.watchEvents, m.watchSizes, m.inflight, m.caches,
	)
	m.requests.register(reg)
	m.storage.register(reg)
	return m
}

// Registry is where other subsystems (audit, authentication, ...) register their
// own collectors so that /metrics serves them too.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the registry in the Prometheus text (or negotiated OpenMetrics)
// format, without the metrics named in disabled (--disabled-metrics: full names,
// such as apiserver_request_duration_seconds).
func (m *Metrics) Handler(disabled ...string) http.Handler {
	var g prometheus.Gatherer = m.registry
	if len(disabled) > 0 {
		drop := map[string]bool{}
		for _, name := range disabled {
			drop[name] = true
		}
		g = withoutMetrics{Gatherer: m.registry, drop: drop}
	}
	return promhttp.HandlerFor(g, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// withoutMetrics gathers what Gatherer does but the metric families named in drop.
type withoutMetrics struct {
	prometheus.Gatherer
	drop map[string]bool
}

func (w withoutMetrics) Gather() ([]*dto.MetricFamily, error) {
	families, err := w.Gatherer.Gather()
	kept := families[:0]
	for _, f := range families {
		if !w.drop[f.GetName()] {
			kept = append(kept, f)
		}
	}
	return kept, err
}
