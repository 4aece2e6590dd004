package audit

import "github.com/prometheus/client_golang/prometheus"

var (
	eventTotalDesc = prometheus.NewDesc("apiserver_audit_event_total",
		"[ALPHA] Counter of audit events generated and sent to the audit backend.", nil, nil)
	errorTotalDesc = prometheus.NewDesc("apiserver_audit_error_total",
		"[ALPHA] Counter of audit events that failed to be audited properly. Plugin identifies the plugin affected by the error.", []string{"plugin"}, nil)
	rejectedTotalDesc = prometheus.NewDesc("apiserver_audit_requests_rejected_total",
		"[ALPHA] Counter of apiserver requests rejected due to an error in audit logging backend.", nil, nil)
	levelTotalDesc = prometheus.NewDesc("apiserver_audit_level_total",
		"[ALPHA] Counter of policy levels for audit events (1 per request).", []string{"level"}, nil)
)

// Collector exposes m as upstream's apiserver_audit_* metrics.
func (m *Metrics) Collector() prometheus.Collector { return metricsCollector{m} }

type metricsCollector struct{ m *Metrics }

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- eventTotalDesc
	ch <- errorTotalDesc
	ch <- rejectedTotalDesc
	ch <- levelTotalDesc
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.m.Snapshot()
	ch <- prometheus.MustNewConstMetric(eventTotalDesc, prometheus.CounterValue, float64(s.EventTotal))
	ch <- prometheus.MustNewConstMetric(rejectedTotalDesc, prometheus.CounterValue, float64(s.RequestsRejectedTotal))
	for plugin, n := range s.ErrorTotal {
		ch <- prometheus.MustNewConstMetric(errorTotalDesc, prometheus.CounterValue, float64(n), plugin)
	}
	for level, n := range s.LevelTotal {
		ch <- prometheus.MustNewConstMetric(levelTotalDesc, prometheus.CounterValue, float64(n), string(level))
	}
}
