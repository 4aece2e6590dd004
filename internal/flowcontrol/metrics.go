package flowcontrol

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are upstream's apiserver_flowcontrol_* series. A nil *Metrics records
// nothing.
type Metrics struct {
	inQueueGauge    *prometheus.GaugeVec
	executingGauge  *prometheus.GaugeVec
	seatsGauge      *prometheus.GaugeVec
	rejectedTotal   *prometheus.CounterVec
	dispatchedTotal *prometheus.CounterVec
	waitDuration    *prometheus.HistogramVec
	nominalSeats    *prometheus.GaugeVec
	lowerSeats      *prometheus.GaugeVec
	upperSeats      *prometheus.GaugeVec
	currentSeats    *prometheus.GaugeVec
}

// NewMetrics creates the series and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "apiserver", Subsystem: "flowcontrol", Name: name, Help: help}, labels)
	}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "apiserver", Subsystem: "flowcontrol", Name: name, Help: help}, labels)
	}
	m := &Metrics{
		inQueueGauge:    gauge("current_inqueue_requests", "Number of requests currently pending in queues of the API Priority and Fairness subsystem", "priority_level", "flow_schema"),
		executingGauge:  gauge("current_executing_requests", "Number of requests in initial (for a WATCH) or any (for a non-WATCH) execution stage in the API Priority and Fairness subsystem", "priority_level", "flow_schema"),
		seatsGauge:      gauge("current_executing_seats", "Concurrency (number of seats) occupied by the currently executing (initial stage for a WATCH, any stage otherwise) requests in the API Priority and Fairness subsystem", "priority_level"),
		rejectedTotal:   counter("rejected_requests_total", "Number of requests rejected by API Priority and Fairness subsystem", "priority_level", "flow_schema", "reason"),
		dispatchedTotal: counter("dispatched_requests_total", "Number of requests executed by API Priority and Fairness subsystem", "priority_level", "flow_schema"),
		waitDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "apiserver", Subsystem: "flowcontrol", Name: "request_wait_duration_seconds",
			Help:    "Length of time a request spent waiting in its queue",
			Buckets: []float64{0, 0.005, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30},
		}, []string{"priority_level", "flow_schema", "execute"}),
		nominalSeats: gauge("nominal_limit_seats", "Nominal number of execution seats configured for each priority level", "priority_level"),
		lowerSeats:   gauge("lower_limit_seats", "Configured lower bound on number of execution seats available to each priority level", "priority_level"),
		upperSeats:   gauge("upper_limit_seats", "Configured upper bound on number of execution seats available to each priority level", "priority_level"),
		currentSeats: gauge("current_limit_seats", "current derived number of execution seats available to each priority level", "priority_level"),
	}
	if reg != nil {
		reg.MustRegister(m.inQueueGauge, m.executingGauge, m.seatsGauge, m.rejectedTotal, m.dispatchedTotal,
			m.waitDuration, m.nominalSeats, m.lowerSeats, m.upperSeats, m.currentSeats)
	}
	return m
}

func (m *Metrics) inQueue(level, schema string, delta float64) {
	if m != nil {
		m.inQueueGauge.WithLabelValues(level, schema).Add(delta)
	}
}

func (m *Metrics) executing(level, schema string, delta float64) {
	if m != nil {
		m.executingGauge.WithLabelValues(level, schema).Add(delta)
	}
}

func (m *Metrics) executingSeats(level string, n int) {
	if m != nil {
		m.seatsGauge.WithLabelValues(level).Set(float64(n))
	}
}

// dispatch counts a request that got its seat after waiting wait.
func (m *Metrics) dispatch(level, schema string, wait time.Duration) {
	if m == nil {
		return
	}
	m.dispatchedTotal.WithLabelValues(level, schema).Inc()
	m.executingGauge.WithLabelValues(level, schema).Inc()
	m.waitDuration.WithLabelValues(level, schema, "true").Observe(wait.Seconds())
}

// waited records a request that left its queue without executing.
func (m *Metrics) waited(level, schema string, wait time.Duration) {
	if m != nil {
		m.waitDuration.WithLabelValues(level, schema, "false").Observe(wait.Seconds())
	}
}

func (m *Metrics) reject(level, schema, reason string) {
	if m != nil {
		m.rejectedTotal.WithLabelValues(level, schema, reason).Inc()
	}
}

func (m *Metrics) setLimits(level string, lim limits, current int) {
	if m == nil {
		return
	}
	m.nominalSeats.WithLabelValues(level).Set(float64(lim.nominal))
	m.lowerSeats.WithLabelValues(level).Set(float64(lim.min))
	m.upperSeats.WithLabelValues(level).Set(float64(lim.max))
	m.currentSeats.WithLabelValues(level).Set(float64(current))
}
