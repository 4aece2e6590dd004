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

// WithWatchRecorder returns a context in which WatchEventRecorder counts the events of
// a watch of group/version/resource. The request-metrics filter sets it on watches.
func (m *Metrics) WithWatchRecorder(ctx context.Context, group, version, resource string) context.Context {
	return context.WithValue(ctx, watchRecorderKey{}, &watchRecorder{
		events: m.watchEvents.WithLabelValues(group, version, resource),
		sizes:  m.watchSizes.WithLabelValues(group, version, resource),
	})
}

// WatchEventRecorder returns the function that counts one event of size encoded
// bytes sent to the client of the watch request ctx belongs to (found once, not per
// event). Outside a watch request's context it does nothing, so handlers may call
// it freely.
func WatchEventRecorder(ctx context.Context) func(size int) {
	r, ok := ctx.Value(watchRecorderKey{}).(*watchRecorder)
	if !ok {
		return func(int) {}
	}
	return func(size int) {
		r.events.Inc()
		r.sizes.Observe(float64(size))
	}
}
