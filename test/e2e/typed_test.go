package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
)

func configMap(name string, labels map[string]string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}, Data: data}
}

func deployment(name string, replicas int32) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptrTo(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}
}

// TestTypedClient exercises the typed clientset: CRUD, error reasons, pagination,
// finalizers, status and scale subresources, and events.k8s.io/core event round trips.
func TestTypedClient(t *testing.T) {
	cs := shared.clientset(t)
	ns := testNamespace(t, "e2e-typed")
	c := ctx(t, 2*time.Minute)
	cms := cs.CoreV1().ConfigMaps(ns)

	t.Run("configmap CRUD", func(t *testing.T) {
		created, err := cms.Create(c, configMap("crud", nil, map[string]string{"k": "v1"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if created.UID == "" || created.ResourceVersion == "" || created.CreationTimestamp.IsZero() || created.Namespace != ns {
			t.Errorf("create did not fill metadata: %+v", created.ObjectMeta)
		}
		got, err := cms.Get(c, "crud", metav1.GetOptions{})
		if err != nil || got.Data["k"] != "v1" || got.UID != created.UID {
			t.Fatalf("get = %v, %v", got, err)
		}
		got.Data["k"] = "v2"
		updated, err := cms.Update(c, got, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if updated.Data["k"] != "v2" || updated.ResourceVersion == got.ResourceVersion {
			t.Errorf("update: data=%v rv %s -> %s", updated.Data, got.ResourceVersion, updated.ResourceVersion)
		}
		list, err := cms.List(c, metav1.ListOptions{FieldSelector: "metadata.name=crud"})
		if err != nil || len(list.Items) != 1 || list.ResourceVersion == "" {
			t.Fatalf("list = %v, %v; want one item and a list resourceVersion", list, err)
		}
		patched, err := cms.Patch(c, "crud", types.MergePatchType, []byte(`{"data":{"p":"1"}}`), metav1.PatchOptions{})
		if err != nil || patched.Data["p"] != "1" || patched.Data["k"] != "v2" {
			t.Fatalf("patch = %v, %v", patched, err)
		}
		if err := cms.Delete(c, "crud", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Get(c, "crud", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("get after delete: %v, want NotFound", err)
		}
	})

	t.Run("error reasons", func(t *testing.T) {
		base, err := cms.Create(c, configMap("errs", nil, map[string]string{"k": "v"}), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cms.Update(c, configMap("errs", map[string]string{"n": "1"}, nil).DeepCopy(), metav1.UpdateOptions{}); err != nil {
			// ConfigMaps allow unconditional update; a missing resourceVersion is fine.
			t.Fatalf("unconditional update: %v", err)
		}
		terminating := "e2e-term-" + randSuffix()
		if _, err := cs.CoreV1().Namespaces().Create(c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: terminating}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cs.CoreV1().Namespaces().Delete(c, terminating, metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			name  string
			do    func() error
			check func(error) bool
			want  string
		}{
			{"stale update is a conflict", func() error {
				_, err := cms.Update(c, base, metav1.UpdateOptions{})
				return err
			}, apierrors.IsConflict, "the object has been modified"},
			{"create existing", func() error {
				_, err := cms.Create(c, configMap("errs", nil, nil), metav1.CreateOptions{})
				return err
			}, apierrors.IsAlreadyExists, `configmaps "errs" already exists`},
			{"get missing", func() error {
				_, err := cms.Get(c, "nope", metav1.GetOptions{})
				return err
			}, apierrors.IsNotFound, `configmaps "nope" not found`},
			{"delete missing", func() error {
				return cms.Delete(c, "nope", metav1.DeleteOptions{})
			}, apierrors.IsNotFound, `configmaps "nope" not found`},
			{"create in missing namespace", func() error {
				_, err := cs.CoreV1().ConfigMaps("no-such-ns").Create(c, configMap("x", nil, nil), metav1.CreateOptions{})
				return err
			}, apierrors.IsNotFound, `namespaces "no-such-ns" not found`},
			{"create in terminating namespace", func() error {
				_, err := cs.CoreV1().ConfigMaps(terminating).Create(c, configMap("x", nil, nil), metav1.CreateOptions{})
				return err
			}, apierrors.IsForbidden, "because it is being terminated"},
			{"invalid name", func() error {
				_, err := cms.Create(c, configMap("Not_Valid", nil, nil), metav1.CreateOptions{})
				return err
			}, apierrors.IsInvalid, "metadata.name"},
			{"namespace mismatch", func() error {
				cm := configMap("mismatch", nil, nil)
				cm.Namespace = "other"
				_, err := cms.Create(c, cm, metav1.CreateOptions{})
				return err
			}, apierrors.IsBadRequest, "does not match the namespace"},
			{"precondition uid on delete", func() error {
				return cms.Delete(c, "errs", metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: ptrTo(types.UID("wrong"))}})
			}, apierrors.IsConflict, "the UID in the precondition (wrong) does not match the UID in record"},
			{"precondition uid on dry-run delete", func() error {
				return cms.Delete(c, "errs", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll},
					Preconditions: &metav1.Preconditions{UID: ptrTo(types.UID("wrong"))}})
			}, apierrors.IsConflict, "the UID in the precondition (wrong) does not match the UID in record"},
			{"precondition resourceVersion on dry-run delete", func() error {
				return cms.Delete(c, "errs", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll},
					Preconditions: &metav1.Preconditions{ResourceVersion: ptrTo("1")}})
			}, apierrors.IsConflict, "the ResourceVersion in the precondition (1) does not match the ResourceVersion in record"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				err := tc.do()
				if !tc.check(err) {
					t.Fatalf("err = %v (reason %q), want reason for %s", err, apierrors.ReasonForError(err), tc.name)
				}
				if !strings.Contains(err.Error(), tc.want) {
					t.Errorf("message %q lacks %q", err.Error(), tc.want)
				}
			})
		}
		ns, err := cs.CoreV1().Namespaces().Get(c, terminating, metav1.GetOptions{})
		if err != nil {
			t.Fatalf("deleted namespace must stay (Terminating, no namespace controller): %v", err)
		}
		if ns.Status.Phase != corev1.NamespaceTerminating || ns.DeletionTimestamp == nil {
			t.Errorf("namespace phase=%s deletionTimestamp=%v, want Terminating with a deletionTimestamp", ns.Status.Phase, ns.DeletionTimestamp)
		}
	})

	t.Run("invalid pod has causes", func(t *testing.T) {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "empty"}}
		_, err := cs.CoreV1().Pods(ns).Create(c, pod, metav1.CreateOptions{})
		if !apierrors.IsInvalid(err) {
			t.Fatalf("err = %v, want Invalid", err)
		}
		var se *apierrors.StatusError
		if !errors.As(err, &se) || se.ErrStatus.Details == nil {
			t.Fatalf("no status details in %v", err)
		}
		d := se.ErrStatus.Details
		if d.Kind != "Pod" || d.Name != "empty" || se.ErrStatus.Code != http.StatusUnprocessableEntity {
			t.Errorf("details kind=%q name=%q code=%d, want Pod empty 422", d.Kind, d.Name, se.ErrStatus.Code)
		}
		found := false
		for _, cause := range d.Causes {
			if cause.Field == "spec.containers" && cause.Type == metav1.CauseTypeFieldValueRequired {
				found = true
			}
		}
		if !found {
			t.Errorf("causes %+v lack FieldValueRequired on spec.containers", d.Causes)
		}
	})

	t.Run("list pagination", func(t *testing.T) {
		want := map[string]bool{}
		for i := 0; i < 7; i++ {
			name := fmt.Sprintf("page-%d", i)
			want[name] = true
			if _, err := cms.Create(c, configMap(name, map[string]string{"page": "yes"}, nil), metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]bool{}
		var pages []int
		opts := metav1.ListOptions{LabelSelector: "page=yes", Limit: 3}
		var firstRV string
		for {
			l, err := cms.List(c, opts)
			if err != nil {
				t.Fatal(err)
			}
			if firstRV == "" {
				firstRV = l.ResourceVersion
			} else if l.ResourceVersion != firstRV {
				t.Errorf("page resourceVersion %s, want the snapshot's %s", l.ResourceVersion, firstRV)
			}
			pages = append(pages, len(l.Items))
			for _, it := range l.Items {
				if seen[it.Name] {
					t.Errorf("%s listed twice", it.Name)
				}
				seen[it.Name] = true
			}
			if l.Continue == "" {
				break
			}
			opts.Continue = l.Continue
			if len(pages) > 5 {
				t.Fatal("pagination does not end")
			}
		}
		if fmt.Sprint(pages) != "[3 3 1]" || len(seen) != len(want) {
			t.Errorf("pages %v, seen %d; want [3 3 1] covering all 7", pages, len(seen))
		}
		// remainingItemCount is set only for lists without selectors.
		all, err := cms.List(c, metav1.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		first, err := cms.List(c, metav1.ListOptions{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if want := int64(len(all.Items) - 2); first.RemainingItemCount == nil || *first.RemainingItemCount != want {
			t.Errorf("remainingItemCount = %v, want %d", first.RemainingItemCount, want)
		}
		_, err = cms.List(c, metav1.ListOptions{Limit: 2, Continue: "garbage"})
		if !apierrors.IsBadRequest(err) {
			t.Errorf("bad continue token: %v, want BadRequest", err)
		}
	})

	t.Run("finalizers", func(t *testing.T) {
		cm := configMap("held", nil, nil)
		cm.Finalizers = []string{"e2e.kapi.dev/hold"}
		if _, err := cms.Create(c, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if err := cms.Delete(c, "held", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		got, err := cms.Get(c, "held", metav1.GetOptions{})
		if err != nil {
			t.Fatalf("object with a finalizer vanished on delete: %v", err)
		}
		if got.DeletionTimestamp == nil || got.DeletionGracePeriodSeconds == nil || *got.DeletionGracePeriodSeconds != 0 {
			t.Errorf("deletionTimestamp=%v gracePeriod=%v, want set and 0", got.DeletionTimestamp, got.DeletionGracePeriodSeconds)
		}
		got.Labels = map[string]string{"new": "label"}
		got.Finalizers = append(got.Finalizers, "e2e.kapi.dev/more")
		if _, err := cms.Update(c, got, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) && !apierrors.IsForbidden(err) {
			t.Errorf("adding a finalizer while deleting: %v, want Invalid (no new finalizers once deletionTimestamp is set)", err)
		}
		if _, err := cms.Patch(c, "held", types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/finalizers"}]`), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "object disappears once its finalizers are gone", func() error {
			_, err := cms.Get(c, "held", metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return fmt.Errorf("get: %v", err)
		})
	})

	t.Run("status subresource", func(t *testing.T) {
		deps := cs.AppsV1().Deployments(ns)
		d, err := deps.Create(c, deployment("status", 1), metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if d.Generation != 1 {
			t.Errorf("generation after create = %d, want 1", d.Generation)
		}
		d.Spec.Replicas = ptrTo(int32(5))
		d.Status.ObservedGeneration = 1
		d.Status.Replicas = 1
		s, err := deps.UpdateStatus(c, d, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *s.Spec.Replicas != 1 || s.Status.Replicas != 1 || s.Status.ObservedGeneration != 1 || s.Generation != 1 {
			t.Errorf("after status update: spec.replicas=%d status.replicas=%d observed=%d generation=%d; want 1 1 1 1",
				*s.Spec.Replicas, s.Status.Replicas, s.Status.ObservedGeneration, s.Generation)
		}
		s.Status.Replicas = 9
		s.Labels = map[string]string{"touched": "meta"}
		u, err := deps.Update(c, s, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u.Status.Replicas != 1 || u.Generation != 1 || u.Labels["touched"] != "meta" {
			t.Errorf("main update must ignore status and keep generation on a metadata change: status.replicas=%d generation=%d labels=%v",
				u.Status.Replicas, u.Generation, u.Labels)
		}
		u.Spec.Replicas = ptrTo(int32(2))
		u, err = deps.Update(c, u, metav1.UpdateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if u.Generation != 2 || *u.Spec.Replicas != 2 {
			t.Errorf("spec update: generation=%d replicas=%d, want 2 2", u.Generation, *u.Spec.Replicas)
		}
	})

	t.Run("scale subresource", func(t *testing.T) {
		deps := cs.AppsV1().Deployments(ns)
		if _, err := deps.Create(c, deployment("scaled", 2), metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		sc, err := deps.GetScale(c, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if sc.Spec.Replicas != 2 || sc.Status.Selector != "app=scaled" || sc.Name != "scaled" || sc.Namespace != ns {
			t.Errorf("scale = %+v, want replicas 2 selector app=scaled", sc)
		}
		sc.Spec.Replicas = 4
		if _, err := deps.UpdateScale(c, "scaled", sc, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		d, err := deps.Get(c, "scaled", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if *d.Spec.Replicas != 4 || d.Generation != 2 {
			t.Errorf("after UpdateScale: replicas=%d generation=%d, want 4 2", *d.Spec.Replicas, d.Generation)
		}
		sc.Spec.Replicas = -1
		if _, err := deps.UpdateScale(c, "scaled", sc, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) {
			t.Errorf("negative replicas via scale: %v, want Invalid", err)
		}
		if _, err := deps.GetScale(c, "missing", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("scale of a missing deployment: %v, want NotFound", err)
		}
	})

	t.Run("events.k8s.io event read as core event", func(t *testing.T) {
		ev := &eventsv1.Event{
			ObjectMeta:          metav1.ObjectMeta{Name: "ev1"},
			EventTime:           metav1.NowMicro(),
			ReportingController: "e2e.kapi.dev/controller",
			ReportingInstance:   "e2e-1",
			Action:              "Testing",
			Reason:              "Tested",
			Note:                "hello from events.k8s.io",
			Type:                corev1.EventTypeNormal,
			Regarding:           corev1.ObjectReference{Kind: "ConfigMap", Namespace: ns, Name: "errs", APIVersion: "v1"},
		}
		if _, err := cs.EventsV1().Events(ns).Create(c, ev, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		core, err := cs.CoreV1().Events(ns).Get(c, "ev1", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if core.Message != ev.Note || core.Reason != "Tested" || core.Action != "Testing" ||
			core.ReportingController != "e2e.kapi.dev/controller" || core.ReportingInstance != "e2e-1" ||
			core.InvolvedObject.Name != "errs" || core.InvolvedObject.Kind != "ConfigMap" || core.Type != "Normal" {
			t.Errorf("core event = %+v; want fields mapped from the events.k8s.io event", core)
		}
		back, err := cs.EventsV1().Events(ns).Get(c, "ev1", metav1.GetOptions{})
		if err != nil || back.Note != ev.Note || back.Regarding.Name != "errs" {
			t.Errorf("events.k8s.io get = %+v, %v", back, err)
		}
		l, err := cs.CoreV1().Events(ns).List(c, metav1.ListOptions{FieldSelector: "involvedObject.name=errs,reason=Tested"})
		if err != nil || len(l.Items) != 1 {
			t.Errorf("core events by field selector: %v, %v; want 1", l, err)
		}
	})
}

// TestProtobufClient runs CRUD and a watch with the protobuf content type and checks
// that the server actually answered in protobuf.
func TestProtobufClient(t *testing.T) {
	ns := testNamespace(t, "e2e-proto")
	cfg := shared.restConfig(t)
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	rec := &contentTypes{seen: map[string]int{}}
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return rec.wrap(rt) })
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	c := ctx(t, time.Minute)
	cms := cs.CoreV1().ConfigMaps(ns)
	// Only the test's object: the root-CA publisher adds kube-root-ca.crt to every
	// namespace.
	only := metav1.ListOptions{FieldSelector: "metadata.name=pb"}

	w, err := cms.Watch(c, only)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()

	steps := []struct {
		name string
		do   func() error
	}{
		{"create", func() error {
			_, err := cms.Create(c, configMap("pb", map[string]string{"x": "y"}, map[string]string{"k": "v"}), metav1.CreateOptions{})
			return err
		}},
		{"get", func() error {
			got, err := cms.Get(c, "pb", metav1.GetOptions{})
			if err == nil && (got.Data["k"] != "v" || got.Labels["x"] != "y") {
				err = fmt.Errorf("got %+v", got)
			}
			return err
		}},
		{"update", func() error {
			got, err := cms.Get(c, "pb", metav1.GetOptions{})
			if err != nil {
				return err
			}
			got.Data["k"] = "v2"
			_, err = cms.Update(c, got, metav1.UpdateOptions{})
			return err
		}},
		{"list", func() error {
			l, err := cms.List(c, only)
			if err == nil && len(l.Items) != 1 {
				err = fmt.Errorf("got %d items", len(l.Items))
			}
			return err
		}},
		{"error status", func() error {
			_, err := cms.Get(c, "missing", metav1.GetOptions{})
			if !apierrors.IsNotFound(err) {
				return fmt.Errorf("got %v, want NotFound decoded from a protobuf Status", err)
			}
			return nil
		}},
		{"delete", func() error { return cms.Delete(c, "pb", metav1.DeleteOptions{}) }},
		{"watch events", func() error {
			got := collectEvents(t, w, 3, 10*time.Second)
			if fmt.Sprint(eventTypes(got)) != "[ADDED MODIFIED DELETED]" {
				return fmt.Errorf("watch events %v", eventTypes(got))
			}
			return nil
		}},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
		})
	}
	t.Run("responses were protobuf", func(t *testing.T) {
		seen := rec.snapshot()
		pb := seen["application/vnd.kubernetes.protobuf"] + seen["application/vnd.kubernetes.protobuf;stream=watch"]
		if pb == 0 || seen["application/vnd.kubernetes.protobuf;stream=watch"] == 0 {
			t.Errorf("response content types %v, want protobuf for objects and the watch stream", seen)
		}
	})
}

// contentTypes counts response Content-Type headers.
type contentTypes struct {
	mu   sync.Mutex // guards seen
	seen map[string]int
}

func (c *contentTypes) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := rt.RoundTrip(r)
		if err == nil {
			c.mu.Lock()
			c.seen[resp.Header.Get("Content-Type")]++
			c.mu.Unlock()
		}
		return resp, err
	})
}

func (c *contentTypes) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.seen {
		out[k] = v
	}
	return out
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// collectEvents reads n events from w, or fewer if d passes.
func collectEvents(t testing.TB, w watch.Interface, n int, d time.Duration) []watch.Event {
	t.Helper()
	var got []watch.Event
	timeout := time.After(d)
	for len(got) < n {
		select {
		case ev, ok := <-w.ResultChan():
			if !ok {
				return got
			}
			got = append(got, ev)
		case <-timeout:
			return got
		}
	}
	return got
}

func eventTypes(evs []watch.Event) []watch.EventType {
	var out []watch.EventType
	for _, e := range evs {
		out = append(out, e.Type)
	}
	return out
}

// ptrTo returns a pointer to v.
func ptrTo[T any](v T) *T { return &v }
