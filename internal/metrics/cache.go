package metrics

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// CacheStats is what a watch cache tells the metrics at scrape time; cacher.Cacher
// implements it. The methods are called concurrently with the cache's work.
type CacheStats interface {
	// Len is the number of objects in the cache: the stored object count.
	Len() int
	// Watchers is the number of watchers the cache currently serves.
	Watchers() int
	// TerminatedWatchers is how many watchers the cache ended on its own.
	TerminatedWatchers() int64
}

var (
	resourceObjectsDesc = prometheus.NewDesc("apiserver_resource_objects",
		"Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.",
		[]string{"group", "resource"}, nil)
	storageObjectsDesc = prometheus.NewDesc("apiserver_storage_objects",
		"[DEPRECATED, consider using apiserver_resource_objects instead] Number of stored objects at the time of last check split by kind. In case of a fetching error, the value will be -1.",
		[]string{"resource"}, nil)
	registeredWatchersDesc = prometheus.NewDesc("apiserver_registered_watchers",
		"Number of currently registered watchers for a given resources",
		[]string{"group", "version", "kind"}, nil)
	terminatedWatchersDesc = prometheus.NewDesc("apiserver_terminated_watchers_total",
		"Counter of watchers closed due to unresponsiveness broken by resource type.",
		[]string{"group", "resource"}, nil)
)

type cachedResource struct {
	gr    schema.GroupResource
	gvk   schema.GroupVersionKind
	stats CacheStats
}

// cacheCollector reads the watch caches' counters when /metrics is scraped, so the
// caches need no metrics code of their own.
type cacheCollector struct {
	// mu guards caches.
	mu     sync.Mutex
	caches []cachedResource
}

// AddCache reports the objects and watchers of the watch cache of gr (storing kind
// gvk) from now on.
func (m *Metrics) AddCache(gr schema.GroupResource, gvk schema.GroupVersionKind, stats CacheStats) {
	m.caches.mu.Lock()
	defer m.caches.mu.Unlock()
	m.caches.caches = append(m.caches.caches, cachedResource{gr: gr, gvk: gvk, stats: stats})
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- resourceObjectsDesc
	ch <- storageObjectsDesc
	ch <- registeredWatchersDesc
	ch <- terminatedWatchersDesc
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	caches := c.caches
	c.mu.Unlock()
	for _, r := range caches {
		n := float64(r.stats.Len())
		ch <- prometheus.MustNewConstMetric(resourceObjectsDesc, prometheus.GaugeValue, n, r.gr.Group, r.gr.Resource)
		ch <- prometheus.MustNewConstMetric(storageObjectsDesc, prometheus.GaugeValue, n, r.gr.String())
		ch <- prometheus.MustNewConstMetric(registeredWatchersDesc, prometheus.GaugeValue, float64(r.stats.Watchers()), r.gvk.Group, r.gvk.Version, r.gvk.Kind)
		ch <- prometheus.MustNewConstMetric(terminatedWatchersDesc, prometheus.CounterValue, float64(r.stats.TerminatedWatchers()), r.gr.Group, r.gr.Resource)
	}
}
