package schema

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

// benchObject is a ~2 KB custom resource for the per-write pipeline.
const benchObject = `{
 "apiVersion": "stable.example.com/v1", "kind": "CronTab",
 "metadata": {"name": "bench", "namespace": "default", "labels": {"app": "bench", "tier": "backend"},
   "annotations": {"note": "a fairly long annotation value to make the object bigger than usual"}},
 "spec": {"mode": "b", "replicas": 3, "ios": "25%", "tags": ["a", "b", "c", "d", "e", "f"],
   "ports": [{"port": 80, "protocol": "TCP"}, {"port": 443}, {"port": 8080, "protocol": "UDP"},
             {"port": 9090}, {"port": 9091}, {"port": 9092}],
   "labels": {"one": "1", "two": "2", "three": "3", "four": null, "five": "5"},
   "free": {"anything": {"goes": [1, 2, 3, {"deep": {"deeper": "value"}}]}, "more": "stuff"},
   "template": {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "labels": {"a": "b"}},
     "spec": {"containers": [{"name": "c", "image": "registry.example.com/some/image:1.2.3",
       "args": ["--one", "--two", "--three"], "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]}]}},
   "choice": {"x": 1},
   "unknownField": {"dropped": true}, "another": [1, 2, 3]
 },
 "status": {"phase": "Running"}
}`

func BenchmarkValidatePruneDefault(b *testing.B) {
	s := New(props(b, fuzzSchema))
	base := object(b, benchObject)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		obj := runtime.DeepCopyJSON(base)
		s.Prune(obj)
		CoerceMetadata(obj, s, false)
		s.Default(obj)
		if errs := s.Validate(obj); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}

func BenchmarkValidateUpdateRatcheting(b *testing.B) {
	s := New(props(b, fuzzSchema))
	old := object(b, benchObject)
	s.Prune(old)
	s.Default(old)
	obj := runtime.DeepCopyJSON(old)
	obj["spec"].(map[string]any)["replicas"] = int64(4)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if errs := s.ValidateUpdate(obj, old); len(errs) > 0 {
			b.Fatal(errs)
		}
	}
}
