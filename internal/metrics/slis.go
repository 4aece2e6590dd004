package metrics

import (
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// HealthSLIs are the health checks' results that /metrics/slis serves, as
// upstream's service level indicators: each check's last result and a count of
// results, per endpoint (healthz, livez, readyz).
type HealthSLIs struct {
	registry *prometheus.Registry
	last     *prometheus.GaugeVec
	total    *prometheus.CounterVec
}

// NewHealthSLIs creates the indicators of a process started at start.
func NewHealthSLIs(start time.Time) *HealthSLIs {
	h := &HealthSLIs{
		registry: prometheus.NewRegistry(),
		last: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kubernetes_healthcheck",
			Help: "This metric records the result of a single healthcheck.",
		}, []string{"name", "type"}),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kubernetes_healthchecks_total",
			Help: "This metric records the results of all healthcheck.",
		}, []string{"name", "type", "status"}),
	}
	started := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "process_start_time_seconds",
		Help: "Start time of the process since unix epoch in seconds.",
	})
	started.Set(float64(start.Unix()))
	h.registry.MustRegister(h.last, h.total, started)
	return h
}

// Observe records one run of check name of endpoint.
func (h *HealthSLIs) Observe(name, endpoint string, ok bool) {
	status, value := "success", 1.0
	if !ok {
		status, value = "error", 0
	}
	h.last.WithLabelValues(name, endpoint).Set(value)
	h.total.WithLabelValues(name, endpoint, status).Inc()
}

// Handler serves the indicators in the Prometheus text format.
func (h *HealthSLIs) Handler() http.Handler {
	return promhttp.HandlerFor(h.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}
