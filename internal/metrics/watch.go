package metrics

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

type watchRecorderKey struct{}

// watchRecorder holds one watch request's resolved series, so recording an event
// costs no label lookup.
type watchRecorder struct {
	events prometheus.Counter
	sizes  prometheus.Observer
}

// WithWatchRecorder returns a context in which RecordWatchEvent counts the events of
// a watch of group/version/resource. The request-metrics filter sets it on watches.
func (m *Metrics) WithWatchRecorder(ctx context.Context, group, version, resource string) context.Context {
	return context.WithValue(ctx, watchRecorderKey{}, &watchRecorder{
		events: m.watchEvents.WithLabelValues(group, version, resource),
		sizes:  m.watchSizes.WithLabelValues(group, version, resource),
	})
}

// RecordWatchEvent counts one event of size encoded bytes sent to a watch client. It
// does nothing outside a watch request's context, so handlers may call it freely.
func RecordWatchEvent(ctx context.Context, size int) {
	if r, ok := ctx.Value(watchRecorderKey{}).(*watchRecorder); ok {
		r.events.Inc()
		r.sizes.Observe(float64(size))
	}
}
