package e2e

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// TestWatch covers watch semantics: replay from a resourceVersion, selector
// transitions, streaming lists (sendInitialEvents) and a shared informer.
func TestWatch(t *testing.T) {
	cs := shared.clientset(t)
	ns := testNamespace(t, "e2e-watch")
	c := ctx(t, 2*time.Minute)
	cms := cs.CoreV1().ConfigMaps(ns)

	t.Run("from resourceVersion in order", func(t *testing.T) {
		l, err := cms.List(c, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		// Write first, watch later: the events must be replayed from history.
		if _, err := cms.Create(c, configMap("ordered", nil, map[string]string{"v": "1"}), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Patch(c, "ordered", "application/merge-patch+json", []byte(`{"data":{"v":"2"}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(c, "ordered", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		// kube-root-ca.crt, published into the new namespace, is not the test's object.
		w, err := cms.Watch(c, metav1.ListOptions{ResourceVersion: l.ResourceVersion, FieldSelector: "metadata.name=ordered"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		got := collectEvents(t, w, 3, 10*time.Second)
		if fmt.Sprint(eventTypes(got)) != "[ADDED MODIFIED DELETED]" {
			t.Fatalf("events %v, want [ADDED MODIFIED DELETED]", eventTypes(got))
		}
		var prev uint64
		for i, ev := range got {
			cm, ok := ev.Object.(*corev1.ConfigMap)
			if !ok {
				t.Fatalf("event %d object %T", i, ev.Object)
			}
			rv, err := strconv.ParseUint(cm.ResourceVersion, 10, 64)
			if err != nil || rv <= prev {
				t.Errorf("resourceVersion %q not increasing after %d", cm.ResourceVersion, prev)
			}
			prev = rv
		}
		if v := got[1].Object.(*corev1.ConfigMap).Data["v"]; v != "2" {
			t.Errorf("MODIFIED carries v=%q, want 2", v)
		}
	})

	t.Run("label selector transitions", func(t *testing.T) {
		w, err := cms.Watch(c, metav1.ListOptions{LabelSelector: "sel=yes"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		if _, err := cms.Create(c, configMap("mover", map[string]string{"sel": "yes"}, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Create(c, configMap("other", map[string]string{"sel": "no"}, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Patch(c, "mover", "application/merge-patch+json", []byte(`{"metadata":{"labels":{"sel":"no"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Patch(c, "other", "application/merge-patch+json", []byte(`{"metadata":{"labels":{"sel":"yes"}}}`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		got := collectEvents(t, w, 3, 10*time.Second)
		want := []string{"ADDED mover", "DELETED mover", "ADDED other"}
		var have []string
		for _, ev := range got {
			m, _ := meta.Accessor(ev.Object)
			have = append(have, fmt.Sprintf("%s %s", ev.Type, m.GetName()))
		}
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("events %v, want %v (leaving the selector is DELETED, entering is ADDED)", have, want)
		}
	})

	t.Run("streaming list", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			if _, err := cms.Create(c, configMap(fmt.Sprintf("stream-%d", i), map[string]string{"stream": "yes"}, nil), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		l, err := cms.List(c, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name, rv string
		}{
			{"consistent (resourceVersion unset)", ""},
			{"not older than a resourceVersion", l.ResourceVersion},
		}
		for i, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				w, err := cms.Watch(c, metav1.ListOptions{
					LabelSelector:        "stream=yes",
					ResourceVersion:      tc.rv,
					SendInitialEvents:    ptrTo(true),
					ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan,
					AllowWatchBookmarks:  true,
				})
				if err != nil {
					t.Fatal(err)
				}
				defer w.Stop()
				got := collectEvents(t, w, 4, 10*time.Second)
				if fmt.Sprint(eventTypes(got)) != "[ADDED ADDED ADDED BOOKMARK]" {
					t.Fatalf("events %v, want three ADDED then a BOOKMARK", eventTypes(got))
				}
				m, err := meta.Accessor(got[3].Object)
				if err != nil {
					t.Fatal(err)
				}
				if m.GetAnnotations()[metav1.InitialEventsAnnotationKey] != "true" || m.GetResourceVersion() == "" {
					t.Errorf("bookmark annotations=%v rv=%q, want %s=true and a resourceVersion",
						m.GetAnnotations(), m.GetResourceVersion(), metav1.InitialEventsAnnotationKey)
				}
				late := fmt.Sprintf("stream-late-%d", i)
				if _, err := cms.Create(c, configMap(late, map[string]string{"stream": "yes"}, nil), metav1.CreateOptions{}); err != nil {
					t.Fatal(err)
				}
				next := collectEvents(t, w, 1, 10*time.Second)
				if len(next) != 1 || next[0].Type != watch.Added {
					t.Errorf("after the bookmark: %v, want ADDED %s", eventTypes(next), late)
				}
				if err := cms.Delete(c, late, metav1.DeleteOptions{}); err != nil {
					t.Fatal(err)
				}
			})
		}
	})

	t.Run("streaming list without NotOlderThan is invalid", func(t *testing.T) {
		_, err := cms.Watch(c, metav1.ListOptions{SendInitialEvents: ptrTo(true), AllowWatchBookmarks: true})
		if !apierrors.IsInvalid(err) {
			t.Errorf("err = %v (reason %s), want 422 Invalid on ListOptions.meta.k8s.io", err, apierrors.ReasonForError(err))
		}
	})

	t.Run("informer", func(t *testing.T) {
		// client-go >= 1.35 informers start with a streaming list (WatchListClient)
		// and fall back to list+watch when the server rejects it; record which ran.
		cfg := shared.restConfig(t)
		var mu sync.Mutex // guards streamed
		streamed := ""
		cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				resp, err := rt.RoundTrip(r)
				if err == nil && r.URL.Query().Get("sendInitialEvents") == "true" {
					mu.Lock()
					streamed += fmt.Sprintf("%s -> %d; ", r.URL.RawQuery, resp.StatusCode)
					mu.Unlock()
				}
				return resp, err
			})
		})
		ics, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		factory := informers.NewSharedInformerFactoryWithOptions(ics, 0, informers.WithNamespace(ns))
		inf := factory.Core().V1().ConfigMaps().Informer()
		added := make(chan string, 100)
		if _, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
			if cm, ok := obj.(*corev1.ConfigMap); ok {
				added <- cm.Name
			}
		}}); err != nil {
			t.Fatal(err)
		}
		stop := make(chan struct{})
		defer func() { close(stop); factory.Shutdown() }()
		factory.Start(stop)
		synced := factory.WaitForCacheSync(ctx(t, 20*time.Second).Done())
		for typ, ok := range synced {
			if !ok {
				t.Fatalf("informer for %v did not sync", typ)
			}
		}
		if n := len(inf.GetStore().List()); n < 4 {
			t.Errorf("synced store holds %d configmaps, want >= 4", n)
		}
		if _, err := cms.Create(c, configMap("informed", nil, nil), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		deadline := time.After(15 * time.Second)
	wait:
		for {
			select {
			case name := <-added:
				if name == "informed" {
					break wait
				}
			case <-deadline:
				t.Fatal("informer did not see the create within 15s")
			}
		}
		mu.Lock()
		defer mu.Unlock()
		if !strings.Contains(streamed, "-> 200") {
			t.Errorf("the informer's streaming list (sendInitialEvents=true) was not served, so it fell back to list+watch: %q", streamed)
		}
	})
}
