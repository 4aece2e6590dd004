package registry_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
)

// TestDeleteCollectionWorkers: a DELETE of a collection deletes as many objects at
// once as the store's workers allow (watched through the per-object admission
// check, which runs inside each delete), lists all it deleted in order, and one
// worker stops at the first failure.
func TestDeleteCollectionWorkers(t *testing.T) {
	const objects = 12
	errRefused := errors.New("refused")
	tests := []struct {
		name        string
		workers     int
		refuse      string // the object whose admission fails
		wantPeakMin int
		wantPeakMax int
		wantLeft    int
	}{
		{name: "default: one at a time", workers: 0, wantPeakMin: 1, wantPeakMax: 1},
		{name: "four workers", workers: 4, wantPeakMin: 2, wantPeakMax: 4},
		{name: "one worker stops at the first failure", workers: 1, refuse: "cm-03", wantPeakMin: 1, wantPeakMax: 1, wantLeft: objects - 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			st := configMapStore(t)
			st.SetDeleteCollectionWorkers(tc.workers)
			for i := range objects {
				cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%02d", i), Namespace: "ns"}}
				if _, err := st.Create(ctx, "ns", cm, nil, nil, false); err != nil {
					t.Fatal(err)
				}
			}
			var running, peak atomic.Int32
			admit := func(_ context.Context, _, old runtime.Object) error {
				n := running.Add(1)
				defer running.Add(-1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				time.Sleep(5 * time.Millisecond)
				if old.(*corev1.ConfigMap).Name == tc.refuse {
					return errRefused
				}
				return nil
			}
			out, err := st.DeleteCollection(ctx, "ns", &metav1.DeleteOptions{}, &metav1.ListOptions{}, admit, false)
			if tc.refuse != "" {
				if !errors.Is(err, errRefused) {
					t.Fatalf("err = %v, want the refusal", err)
				}
			} else if err != nil {
				t.Fatal(err)
			} else if items := out.(*corev1.ConfigMapList).Items; len(items) != objects || items[0].Name != "cm-00" || items[objects-1].Name != fmt.Sprintf("cm-%02d", objects-1) {
				t.Errorf("the response lists %d objects (first %s), want all %d in order", len(items), items[0].Name, objects)
			}
			if p := int(peak.Load()); p < tc.wantPeakMin || p > tc.wantPeakMax {
				t.Errorf("%d deletes at once, want %d to %d", p, tc.wantPeakMin, tc.wantPeakMax)
			}
			left, err := st.List(ctx, "ns", &metav1.ListOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if n := len(left.(*corev1.ConfigMapList).Items); n != tc.wantLeft {
				t.Errorf("%d objects left, want %d", n, tc.wantLeft)
			}
		})
	}
}

// configMapStore is the ConfigMaps' registry store over a fresh etcd.
func configMapStore(t *testing.T) *registry.Store {
	t.Helper()
	scheme := apis.NewScheme()
	codec := protobuf.NewSerializer(scheme, scheme)
	for _, res := range builtin.Resources(builtin.Deps{}) {
		if res.GroupVersionResource() != corev1.SchemeGroupVersion.WithResource("configmaps") {
			continue
		}
		newFunc := func() runtime.Object { return &corev1.ConfigMap{} }
		newList := func() runtime.Object { return &corev1.ConfigMapList{} }
		st := etcd3.New(etcdtest.Start(t), codec, res.StorageKind, newFunc, newList, "/registry/"+res.KeyPrefix+"/")
		return registry.NewStore(res, st, "/registry", newFunc, newList)
	}
	t.Fatal("no configmaps resource")
	return nil
}
