package metrics

import (
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// inflightWindow is how long a high-water mark of in-flight requests is reported,
// as upstream reports the maximum of the last second rather than a volatile value.
const inflightWindow = time.Second

var inflightDesc = prometheus.NewDesc("apiserver_current_inflight_requests",
	"Maximal number of currently used inflight request limit of this apiserver per request kind in last second.",
	[]string{"request_kind"}, nil)

// inflightTracker counts the requests being served (long-running ones excluded) by
// kind and reports each kind's maximum over the last window.
type inflightTracker struct {
	// mu guards kinds.
	mu    sync.Mutex
	kinds [2]inflightKind
}

type inflightKind struct {
	current int
	// max is the highest current seen since windowStart.
	max         int
	windowStart time.Time
}

var inflightKindNames = [2]string{"readOnly", "mutating"}

func newInflightTracker() *inflightTracker { return &inflightTracker{} }

// StartInflight counts a non-long-running request as in flight until the returned
// function is called.
func (m *Metrics) StartInflight(mutating bool) (done func()) {
	i := 0
	if mutating {
		i = 1
	}
	m.inflight.add(i, 1)
	return func() { m.inflight.add(i, -1) }
}

func (t *inflightTracker) add(i, delta int) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	k := &t.kinds[i]
	k.current += delta
	if now.Sub(k.windowStart) > inflightWindow {
		k.windowStart, k.max = now, k.current
	}
	if k.current > k.max {
		k.max = k.current
	}
}

func (t *inflightTracker) Describe(ch chan<- *prometheus.Desc) { ch <- inflightDesc }

func (t *inflightTracker) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.kinds {
		k := &t.kinds[i]
		v := k.max
		if now.Sub(k.windowStart) > inflightWindow {
			v = k.current
		}
		ch <- prometheus.MustNewConstMetric(inflightDesc, prometheus.GaugeValue, float64(v), inflightKindNames[i])
	}
}
