package audit

import (
	"maps"
	"sync"
	"sync/atomic"
)

// Metrics counts what upstream's apiserver_audit_* metrics count. It is safe for
// concurrent use; the zero value is ready.
type Metrics struct {
	events   atomic.Int64
	rejected atomic.Int64

	mu sync.Mutex
	// errors guards nothing but itself: plugin name → events lost.
	errors map[string]int64
	// levels: policy level → requests evaluated to it.
	levels map[Level]int64
}

// Counts is a snapshot of Metrics, for the Prometheus collector.
type Counts struct {
	// EventTotal is apiserver_audit_event_total: events handed to the backends.
	EventTotal int64
	// ErrorTotal is apiserver_audit_error_total{plugin}: events a backend lost.
	ErrorTotal map[string]int64
	// RequestsRejectedTotal is apiserver_audit_requests_rejected_total: requests
	// refused because their event could not be stored (blocking-strict).
	RequestsRejectedTotal int64
	// LevelTotal is apiserver_audit_level_total{level}.
	LevelTotal map[Level]int64
}

// Snapshot returns the current counts.
func (m *Metrics) Snapshot() Counts {
	m.mu.Lock()
	defer m.mu.Unlock()
	return Counts{EventTotal: m.events.Load(), RequestsRejectedTotal: m.rejected.Load(),
		ErrorTotal: maps.Clone(m.errors), LevelTotal: maps.Clone(m.levels)}
}

// ObserveEvent counts one event sent to the backends.
func (m *Metrics) ObserveEvent() {
	if m != nil {
		m.events.Add(1)
	}
}

// ObserveRejected counts one request refused for want of auditing.
func (m *Metrics) ObserveRejected() {
	if m != nil {
		m.rejected.Add(1)
	}
}

// ObserveLevel counts one request evaluated to level l.
func (m *Metrics) ObserveLevel(l Level) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.levels == nil {
		m.levels = map[Level]int64{}
	}
	m.levels[l]++
}

// ObserveError counts n events that plugin failed to record.
func (m *Metrics) ObserveError(plugin string, n int) {
	if m == nil || n == 0 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.errors == nil {
		m.errors = map[string]int64{}
	}
	m.errors[plugin] += int64(n)
}
