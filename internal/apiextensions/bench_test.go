package apiextensions_test

import (
	"context"
	"fmt"
	"runtime"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// smallCRD is a CRD with a two-field schema, the unit of the cost figures.
func smallCRD(group string, i int) *unstructured.Unstructured {
	name := fmt.Sprintf("c%d", i)
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
		"metadata": map[string]any{"name": name + "s." + group},
		"spec": map[string]any{"group": group, "scope": "Namespaced",
			"names": map[string]any{"plural": name + "s", "singular": name, "kind": fmt.Sprintf("C%d", i)},
			"versions": []any{map[string]any{"name": "v1", "served": true, "storage": true,
				"schema": map[string]any{"openAPIV3Schema": map[string]any{"type": "object", "properties": map[string]any{
					"spec": map[string]any{"type": "object", "properties": map[string]any{
						"a": map[string]any{"type": "string"}, "b": map[string]any{"type": "integer"}}}}}}}}}}}
}

// BenchmarkRegisterCRDs registers batches of 100 small CRDs and reports the time
// until the last one serves its resource, and the Go heap it keeps per CRD.
func BenchmarkRegisterCRDs(b *testing.B) {
	in := servertest.StartWith(b, func(c *server.Config) { c.Controllers = []string{} })
	dyn := dynamic.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	const n = 100
	var heapPerCRD float64
	b.ResetTimer()
	for iter := range b.N {
		group := fmt.Sprintf("bench%d.example.com", iter)
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range n {
			if _, err := dyn.Resource(crdGVR).Create(ctx, smallCRD(group, i), metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		waitServed(b, dyn, schema.GroupVersionResource{Group: group, Version: "v1", Resource: fmt.Sprintf("c%ds", n-1)})
		b.StopTimer()
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		heapPerCRD = float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / n
		b.StartTimer()
	}
	b.ReportMetric(heapPerCRD/1024, "KiB-heap/CRD")
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/100CRDs")
}

func waitServed(tb testing.TB, dyn dynamic.Interface, gvr schema.GroupVersionResource) {
	tb.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 10*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := dyn.Resource(gvr).Namespace("default").List(ctx, metav1.ListOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		tb.Fatalf("%s not served: %v", gvr, err)
	}
}
