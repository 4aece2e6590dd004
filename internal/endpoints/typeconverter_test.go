package endpoints

import (
	"fmt"
	"math/rand"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/apitesting/fuzzer"
	"k8s.io/apimachinery/pkg/api/meta"
	metafuzzer "k8s.io/apimachinery/pkg/apis/meta/fuzzer"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"sigs.k8s.io/structured-merge-diff/v6/typed"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/openapi"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

// builtinTypeConverter is the validating type converter kapi builds from its
// OpenAPI schemas of the built-in resources.
func builtinTypeConverter(t testing.TB, scheme *runtime.Scheme) managedfields.TypeConverter {
	t.Helper()
	defs, err := openapi.New(builtin.Resources(builtin.Deps{}), scheme).Definitions()
	if err != nil {
		t.Fatal(err)
	}
	tc, err := managedfields.NewTypeConverter(defs, false)
	if err != nil {
		t.Fatal(err)
	}
	return tc
}

// countingConverter counts the calls that reach the converter it wraps.
type countingConverter struct {
	managedfields.TypeConverter
	calls int
}

func (c *countingConverter) ObjectToTyped(obj runtime.Object, opts ...typed.ValidationOptions) (*typed.TypedValue, error) {
	c.calls++
	return c.TypeConverter.ObjectToTyped(obj, opts...)
}

// TestStructsUnvalidatedValidatesOncePerKind checks which conversions skip the
// validating converter: Go objects with duplicates allowed, after the first of
// their kind; never unstructured objects or requests without AllowDuplicates.
func TestStructsUnvalidatedValidatesOncePerKind(t *testing.T) {
	scheme := apis.NewScheme()
	inner := &countingConverter{TypeConverter: builtinTypeConverter(t, scheme)}
	c := newStructsUnvalidated(inner)
	pod := &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}}}}
	pod.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Pod"))
	cm := &corev1.ConfigMap{}
	cm.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}}}
	tests := []struct {
		name      string
		obj       runtime.Object
		opts      []typed.ValidationOptions
		validated bool
	}{
		{"first pod: validated, its type learnt", pod, []typed.ValidationOptions{typed.AllowDuplicates}, true},
		{"second pod: not validated", pod, []typed.ValidationOptions{typed.AllowDuplicates}, false},
		{"pod without AllowDuplicates: validated", pod, nil, true},
		{"first configmap: validated", cm, []typed.ValidationOptions{typed.AllowDuplicates}, true},
		{"second configmap: not validated", cm, []typed.ValidationOptions{typed.AllowDuplicates}, false},
		{"unstructured: validated", u, []typed.ValidationOptions{typed.AllowDuplicates}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := inner.calls
			tv, err := c.ObjectToTyped(tc.obj, tc.opts...)
			if err != nil || tv == nil {
				t.Fatalf("ObjectToTyped: %v, %v", tv, err)
			}
			if validated := inner.calls > before; validated != tc.validated {
				t.Fatalf("reached the validating converter: %v, want %v", validated, tc.validated)
			}
			want, err := inner.TypeConverter.ObjectToTyped(tc.obj, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if set, wantSet := fieldSet(t, tv), fieldSet(t, want); set != wantSet {
				t.Fatalf("fields %s, want %s", set, wantSet)
			}
		})
	}
}

func fieldSet(t *testing.T, tv *typed.TypedValue) string {
	t.Helper()
	set, err := tv.ToFieldSet()
	if err != nil {
		t.Fatal(err)
	}
	return set.String()
}

// TestStructsUnvalidatedTrackSameFields fills every built-in kind with random
// content and records an update of it, over an empty object and over another
// random one, with the validating type converter and with structsUnvalidated: the
// managed fields, or the failure to compute them, must be the same.
func TestStructsUnvalidatedTrackSameFields(t *testing.T) {
	scheme := apis.NewScheme()
	resources := builtin.Resources(builtin.Deps{})
	validating := builtinTypeConverter(t, scheme)
	unvalidated := newStructsUnvalidated(validating)
	kinds := map[schema.GroupVersionKind]bool{}
	for _, res := range resources {
		kinds[res.StorageKind] = true
	}
	var sorted []schema.GroupVersionKind
	for gvk := range kinds {
		sorted = append(sorted, gvk)
	}
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].String() < sorted[j].String() })
	codecs := serializer.NewCodecFactory(scheme)
	fill := fuzzer.FuzzerFor(metafuzzer.Funcs, rand.NewSource(7), codecs).NilChance(0.3).NumElements(0, 3).MaxDepth(6)
	// track records an update of live to obj by manager "test" and returns the
	// managed fields but their times.
	track := func(tc managedfields.TypeConverter, gvk schema.GroupVersionKind, live, obj runtime.Object) (string, error) {
		fm, err := managedfields.NewDefaultFieldManager(tc, scheme, scheme, scheme, gvk, gvk.GroupVersion(), "", nil)
		if err != nil {
			return "", err
		}
		out, err := fm.Update(live.DeepCopyObject(), obj.DeepCopyObject(), "test")
		if err != nil {
			return "", err
		}
		acc, err := meta.Accessor(out)
		if err != nil {
			return "", err
		}
		var fields []string
		for _, e := range acc.GetManagedFields() {
			fields = append(fields, e.Manager, string(e.Operation), e.APIVersion, string(e.FieldsV1.Raw))
		}
		return fmt.Sprint(fields), nil
	}
	compared, failedAlike := 0, 0
	for _, gvk := range sorted {
		t.Run(gvk.String(), func(t *testing.T) {
			for round := range 4 {
				obj, err := scheme.New(gvk)
				if err != nil {
					t.Skip(err)
				}
				live, _ := scheme.New(gvk)
				fill.Fill(obj)
				if round%2 == 1 {
					fill.Fill(live)
				}
				for _, o := range []runtime.Object{obj, live} {
					o.GetObjectKind().SetGroupVersionKind(gvk)
					if acc, err := meta.Accessor(o); err == nil {
						acc.SetManagedFields(nil)
						acc.SetAnnotations(nil) // no last-applied configuration
						acc.SetUID("")
					}
				}
				want, wantErr := track(validating, gvk, live, obj)
				got, gotErr := track(unvalidated, gvk, live, obj)
				if (wantErr != nil) != (gotErr != nil) {
					t.Fatalf("round %d: validated error %v, unvalidated error %v", round, wantErr, gotErr)
				}
				if wantErr != nil {
					failedAlike++
					continue
				}
				if got != want {
					t.Fatalf("round %d: managed fields differ:\n got %s\nwant %s", round, got, want)
				}
				compared++
			}
		})
	}
	if len(unvalidated.types) < len(sorted)/2 {
		t.Fatalf("the unvalidated converter learnt %d of %d kinds", len(unvalidated.types), len(sorted))
	}
	edges := []struct {
		name string
		obj  runtime.Object
	}{
		{"container without its name key", &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Image: "x"}}}}},
		{"duplicate container names", &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Image: "x"}, {Name: "a", Image: "y"}}}}},
		{"duplicate service ports", &corev1.Service{Spec: corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 80, Protocol: "TCP"}, {Port: 80, Protocol: "TCP"}}}}},
		{"env without name", &corev1.Pod{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "a", Env: []corev1.EnvVar{{Value: "v"}}}}}}},
	}
	for _, tc := range edges {
		t.Run(tc.name, func(t *testing.T) {
			gvks, _, err := scheme.ObjectKinds(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			tc.obj.GetObjectKind().SetGroupVersionKind(gvks[0])
			live, _ := scheme.New(gvks[0])
			live.GetObjectKind().SetGroupVersionKind(gvks[0])
			want, wantErr := track(validating, gvks[0], live, tc.obj)
			got, gotErr := track(unvalidated, gvks[0], live, tc.obj)
			if (wantErr != nil) != (gotErr != nil) || got != want {
				t.Fatalf("validated: %s, %v\nunvalidated: %s, %v", want, wantErr, got, gotErr)
			}
		})
	}
	if compared < 100 {
		t.Fatalf("only %d updates compared (%d failed alike)", compared, failedAlike)
	}
	t.Logf("%d updates tracked alike, %d failed alike", compared, failedAlike)
}

// BenchmarkTrackPodCreate records the managed fields of a Pod create (the load
// command's Pod) with the validating type converter and with structsUnvalidated.
func BenchmarkTrackPodCreate(b *testing.B) {
	scheme := apis.NewScheme()
	validating := builtinTypeConverter(b, scheme)
	gvk := corev1.SchemeGroupVersion.WithKind("Pod")
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "pod-00001", Namespace: "ns", Labels: map[string]string{"app": "load", "node": "node-001", "shard": "s1"}},
		Spec: corev1.PodSpec{NodeName: "node-001", Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10",
			TerminationMessagePath: "/dev/termination-log", TerminationMessagePolicy: "File", ImagePullPolicy: "IfNotPresent"}},
			RestartPolicy: "Always", DNSPolicy: "ClusterFirst", SchedulerName: "default-scheduler"},
	}
	pod.SetGroupVersionKind(gvk)
	empty := &corev1.Pod{}
	empty.SetGroupVersionKind(gvk)
	for _, tc := range []struct {
		name string
		tc   managedfields.TypeConverter
	}{
		{"validated", validating},
		{"unvalidated", newStructsUnvalidated(validating)},
	} {
		b.Run(tc.name, func(b *testing.B) {
			fm, err := managedfields.NewDefaultFieldManager(tc.tc, scheme, scheme, scheme, gvk, gvk.GroupVersion(), "", nil)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				fm.UpdateNoErrors(empty, pod.DeepCopy(), "kapi-load")
			}
		})
	}
}
