package metrics_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/cacher"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
)

var podsGR = schema.GroupResource{Resource: "pods"}

// TestInstrumentedStorageSuite runs the storage suite through the wrapper: it must
// not change what the store does.
func TestInstrumentedStorageSuite(t *testing.T) {
	storagetest.RunTests(t, func(t *testing.T) (storage.Interface, *clientv3.Client) {
		client := etcdtest.Start(t)
		st := etcd3.New(client, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix)
		return metrics.New().InstrumentStorage(podsGR, st), client
	})
}

// scrape returns the registry's text exposition, without the disabled metrics.
func scrape(t *testing.T, m *metrics.Metrics, disabled ...string) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler(disabled...).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if rec.Code != 200 {
		t.Fatalf("GET /metrics = %d", rec.Code)
	}
	return rec.Body.String()
}

func TestStorageMetricsMoveAfterWrites(t *testing.T) {
	m := metrics.New()
	client := etcdtest.Start(t)
	st := m.InstrumentStorage(podsGR, etcd3.New(client, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix))
	c, err := cacher.New(cacher.Config{
		Storage: st, ResourcePrefix: storagetest.Prefix, GroupVersionKind: storagetest.GVK,
		NewFunc: storagetest.NewFunc, NewListFunc: storagetest.NewListFunc, GetAttrs: storagetest.GetAttrs,
		OnList: m.ListObserver(podsGR),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Stop)
	m.AddCache(podsGR, storagetest.GVK, c)

	ctx := context.Background()
	for _, name := range []string{"a", "b", "c"} {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns"}}
		if err := c.Create(ctx, storagetest.Key("ns", name), pod, &corev1.Pod{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Delete(ctx, storagetest.Key("ns", "c"), &corev1.Pod{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(ctx, storagetest.Key("ns", "missing"), storage.GetOptions{}, &corev1.Pod{}); !storage.IsNotFound(err) {
		t.Fatalf("get missing: %v", err)
	}
	// A paginated list goes to etcd; an unpaginated one is served by the cache.
	if err := c.GetList(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, Predicate: storage.SelectionPredicate{Limit: 1}}, &corev1.PodList{}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.GetList(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, Predicate: storage.SelectionPredicate{}}, &corev1.PodList{})
		if err != nil {
			t.Fatal(err)
		}
		if c.Len() == 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	w, err := c.Watch(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, ResourceVersion: "0", Predicate: storage.SelectionPredicate{}})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	text := scrape(t, m)
	for _, want := range []string{
		`etcd_requests_total{group="",operation="create",resource="pods"} 3`,
		`etcd_requests_total{group="",operation="delete",resource="pods"} 1`,
		`etcd_request_duration_seconds_bucket{group="",operation="create",resource="pods",le="0.005"}`,
		`etcd_request_duration_seconds_count{group="",operation="create",resource="pods"} 3`,
		`apiserver_storage_list_total{group="",index="",resource="pods",storage="etcd"} 1`,
		`apiserver_storage_list_returned_objects_total{group="",resource="pods",storage="etcd"} 1`,
		`apiserver_storage_list_returned_objects_total{group="",resource="pods",storage="watchcache"} 2`,
		`apiserver_resource_objects{group="",resource="pods"} 2`,
		`apiserver_storage_objects{resource="pods"} 2`,
		`apiserver_registered_watchers{group="",kind="Pod",version="v1"} 1`,
		`apiserver_terminated_watchers_total{group="",resource="pods"} 0`,
	} {
		if !strings.Contains(text, want+"\n") && !strings.Contains(text, want+" ") {
			t.Errorf("metrics lack %s", want)
		}
	}
	// A get of a missing object is a successful etcd request.
	if strings.Contains(text, `etcd_request_errors_total{group="",operation="get"`) {
		t.Error("a NotFound get counted as an etcd error")
	}
}

func TestRequestMetricsNames(t *testing.T) {
	m := metrics.New()
	l := metrics.RequestLabels{Verb: "LIST", Version: "v1", Resource: "pods", Scope: "namespace", Component: metrics.Component}
	m.ObserveRequest(l, 200, 5000, 30*time.Millisecond)
	m.ObserveRequest(metrics.RequestLabels{Verb: "POST", Version: "v1", Resource: "pods", Scope: "resource", Component: metrics.Component}, 201, 100, time.Millisecond)
	done := m.StartInflight(false)
	text := scrape(t, m)
	done()
	for _, want := range []string{
		"# TYPE apiserver_request_total counter",
		"# TYPE apiserver_request_duration_seconds histogram",
		"# TYPE apiserver_response_sizes histogram",
		"# TYPE apiserver_current_inflight_requests gauge",
		"# TYPE process_cpu_seconds_total counter",
		"# TYPE go_goroutines gauge",
		`apiserver_request_total{code="200",component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1"} 1`,
		`apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1",le="0.025"} 0`,
		`apiserver_request_duration_seconds_bucket{component="apiserver",dry_run="",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1",le="0.05"} 1`,
		`apiserver_response_sizes_bucket{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1",le="10000"} 1`,
		`apiserver_response_sizes_bucket{component="apiserver",group="",resource="pods",scope="namespace",subresource="",verb="LIST",version="v1",le="1e+09"} 1`,
		`apiserver_current_inflight_requests{request_kind="readOnly"} 1`,
		`apiserver_current_inflight_requests{request_kind="mutating"} 0`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if strings.Contains(text, `apiserver_response_sizes_count{component="apiserver",dry_run`) || strings.Contains(text, `apiserver_response_sizes_bucket{component="apiserver",group="",resource="pods",scope="resource"`) {
		t.Error("response size recorded for a POST")
	}
}

// TestInflightHighWaterMark checks that the gauge reports the peak of the last second,
// not only the current value.
func TestInflightHighWaterMark(t *testing.T) {
	m := metrics.New()
	dones := []func(){m.StartInflight(true), m.StartInflight(true), m.StartInflight(true)}
	for _, d := range dones {
		d()
	}
	if text := scrape(t, m); !strings.Contains(text, `apiserver_current_inflight_requests{request_kind="mutating"} 3`) {
		t.Fatalf("peak not reported:\n%s", grepLines(text, "inflight"))
	}
}

func grepLines(text, sub string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestDisabledMetrics: --disabled-metrics leaves the named families out of
// /metrics, whole (a histogram's buckets, sum and count), and nothing else.
func TestDisabledMetrics(t *testing.T) {
	m := metrics.New()
	metrics.WatchEventRecorder(m.WithWatchRecorder(context.Background(), "", "v1", "pods"))(512)
	tests := []struct {
		name      string
		disabled  []string
		gone, got []string
	}{
		{name: "none", got: []string{"apiserver_watch_events_total", "apiserver_watch_events_sizes_bucket", "go_goroutines"}},
		{name: "a counter and a histogram", disabled: []string{"apiserver_watch_events_total", "apiserver_watch_events_sizes"},
			gone: []string{"apiserver_watch_events_total", "apiserver_watch_events_sizes_bucket", "apiserver_watch_events_sizes_count"},
			got:  []string{"go_goroutines", "process_cpu_seconds_total"}},
		{name: "an unknown name changes nothing", disabled: []string{"no_such_metric"}, got: []string{"apiserver_watch_events_total"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := scrape(t, m, tc.disabled...)
			for _, name := range tc.gone {
				if strings.Contains(out, "\n"+name) {
					t.Errorf("%s is served", name)
				}
			}
			for _, name := range tc.got {
				if !strings.Contains(out, "\n"+name) {
					t.Errorf("%s is missing", name)
				}
			}
		})
	}
}
