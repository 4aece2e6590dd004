package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Component is the component label of requests the API server serves itself.
const Component = "apiserver"

// latencyBuckets are upstream's request and etcd latency buckets (seconds), tuned for
// its latency SLOs.
var latencyBuckets = []float64{0.005, 0.025, 0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3,
	4, 5, 6, 8, 10, 15, 20, 30, 45, 60}

// sliBuckets are upstream's buckets of the SLI latency, which its latency SLOs read.
var sliBuckets = []float64{0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 1.25, 1.5, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60}

// RequestLabels are the labels of one request's metrics. Every value must come from a
// bounded set: the caller maps unknown verbs, resources and paths away first.
type RequestLabels struct {
	Verb        string // GET, LIST, WATCH, POST, PUT, PATCH, APPLY, DELETE, CONNECT, ...
	DryRun      string // "" or the sorted dryRun values, "invalid" when they are not
	Group       string
	Version     string
	Resource    string
	Subresource string // for non-resource requests upstream puts the path here
	Scope       string // resource, namespace, cluster or ""
	Component   string // "apiserver", or "" for health checks as upstream
}

type requestMetrics struct {
	total       *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	sli         *prometheus.HistogramVec
	terminated  *prometheus.CounterVec
	sizes       *prometheus.HistogramVec
	longRunning *prometheus.GaugeVec
}

func newRequestMetrics() *requestMetrics {
	return &requestMetrics{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_request_total",
			Help: "Counter of apiserver requests broken out for each verb, dry run value, group, version, resource, scope, component, and HTTP response code.",
		}, []string{"verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_request_duration_seconds",
			Help:    "Response latency distribution in seconds for each verb, dry run value, group, version, resource, subresource, scope and component.",
			Buckets: latencyBuckets,
		}, []string{"verb", "dry_run", "group", "version", "resource", "subresource", "scope", "component"}),
		sli: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_request_sli_duration_seconds",
			Help:    "Response latency distribution (not counting webhook duration and priority & fairness queue wait times) in seconds for each verb, group, version, resource, subresource, scope and component.",
			Buckets: sliBuckets,
		}, []string{"verb", "group", "version", "resource", "subresource", "scope", "component"}),
		terminated: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "apiserver_request_terminations_total",
			Help: "Number of requests which apiserver terminated in self-defense.",
		}, []string{"verb", "group", "version", "resource", "subresource", "scope", "component", "code"}),
		sizes: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "apiserver_response_sizes",
			Help:    "Response size distribution in bytes for each group, version, verb, resource, subresource, scope and component.",
			Buckets: prometheus.ExponentialBuckets(1000, 10, 7),
		}, []string{"verb", "group", "version", "resource", "subresource", "scope", "component"}),
		longRunning: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "apiserver_longrunning_requests",
			Help: "Gauge of all active long-running apiserver requests broken out by verb, group, version, resource, scope and component. Not all requests are tracked this way.",
		}, []string{"verb", "group", "version", "resource", "subresource", "scope", "component"}),
	}
}

func (r *requestMetrics) register(reg prometheus.Registerer) {
	reg.MustRegister(r.total, r.duration, r.sli, r.terminated, r.sizes, r.longRunning)
}

// ObserveRequest records a finished request: its count by code, its latency and, for
// reads (GET and LIST), its response size.
func (m *Metrics) ObserveRequest(l RequestLabels, code, size int, elapsed time.Duration) {
	r := m.requests
	r.total.WithLabelValues(l.Verb, l.DryRun, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component, codeLabel(code)).Inc()
	r.duration.WithLabelValues(l.Verb, l.DryRun, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component).Observe(elapsed.Seconds())
	if l.Verb == "GET" || l.Verb == "LIST" {
		r.sizes.WithLabelValues(l.Verb, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component).Observe(float64(size))
	}
}

// ObserveSLI records the latency of a finished request that is not long-running,
// less the time it waited in queues and webhooks (apiserver_request_sli_duration_seconds).
func (m *Metrics) ObserveSLI(l RequestLabels, latency time.Duration) {
	m.requests.sli.WithLabelValues(l.Verb, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component).Observe(latency.Seconds())
}

// ObserveTermination counts a request the server answered itself before its
// handler could (a timeout, a flow-control rejection).
func (m *Metrics) ObserveTermination(l RequestLabels, code int) {
	m.requests.terminated.WithLabelValues(l.Verb, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component, codeLabel(code)).Inc()
}

// StartLongRunning counts a watch or connect request as active until the returned
// function is called.
func (m *Metrics) StartLongRunning(l RequestLabels) (done func()) {
	g := m.requests.longRunning.WithLabelValues(l.Verb, l.Group, l.Version, l.Resource, l.Subresource, l.Scope, l.Component)
	g.Inc()
	return g.Dec
}

// codeLabels holds the code label of every valid HTTP status, so that recording a
// request does not allocate one.
var codeLabels = func() (l [600]string) {
	for i := 100; i < len(l); i++ {
		l[i] = strconv.Itoa(i)
	}
	return l
}()

func codeLabel(code int) string {
	if code >= 100 && code < len(codeLabels) {
		return codeLabels[code]
	}
	return strconv.Itoa(code)
}
