package e2e

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// TestEventTTL: with --event-ttl, Events of both APIs are deleted that long after
// their last write, and watchers see them go; other objects stay.
func TestEventTTL(t *testing.T) {
	s := startKapiWithArgs(t, t.TempDir(), "--event-ttl", "3s")
	cs := s.clientset(t)
	c := ctx(t, 60*time.Second)
	ns := "default"
	w, err := cs.CoreV1().Events(ns).Watch(c, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	core, err := cs.CoreV1().Events(ns).Create(c, &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Name: "core-event"},
		InvolvedObject: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "p"},
		Reason:         "Test", Message: "expires", Type: corev1.EventTypeNormal,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = cs.EventsV1().Events(ns).Create(c, &eventsv1.Event{
		ObjectMeta: metav1.ObjectMeta{Name: "events-event"},
		EventTime:  metav1.NewMicroTime(time.Now()), ReportingController: "kapi.dev/test",
		ReportingInstance: "test", Action: "Testing", Reason: "Test", Type: corev1.EventTypeNormal,
		Regarding: corev1.ObjectReference{Kind: "Pod", Namespace: ns, Name: "p"},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "stays"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Events(ns).Get(c, core.Name, metav1.GetOptions{}); err != nil {
		t.Fatalf("event right after its create: %v", err)
	}

	deleted := map[string]bool{}
	timeout := time.After(30 * time.Second)
	for len(deleted) < 2 {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				t.Fatal("watch ended")
			}
			if ev.Type == watch.Deleted {
				deleted[ev.Object.(*corev1.Event).Name] = true
			}
		case <-timeout:
			t.Fatalf("deletions seen after 30 s: %v", deleted)
		}
	}
	for _, name := range []string{"core-event", "events-event"} {
		if !deleted[name] {
			t.Errorf("no DELETED event for %s", name)
		}
		if _, err := cs.EventsV1().Events(ns).Get(c, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get %s after it expired: %v, want NotFound", name, err)
		}
	}
	if _, err := cs.CoreV1().ConfigMaps(ns).Get(c, "stays", metav1.GetOptions{}); err != nil {
		t.Errorf("a ConfigMap in the same namespace: %v, want it kept", err)
	}
}
