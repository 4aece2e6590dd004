package admission_test

import (
	"context"
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// BenchmarkPodCreateDefaultChain creates pods through the default admission chain
// with a quota and a limit range in the namespace, so every plugin has work.
func BenchmarkPodCreateDefaultChain(b *testing.B) {
	in := servertest.StartWith(b, nil)
	cs := clientFor(b, in)
	ctx := context.Background()
	namespace(b, cs, "bench")
	quota(b, cs, "bench", "q", rl("pods", "1000000", "requests.cpu", "1000000"))
	i := 0
	for b.Loop() {
		i++
		if _, err := cs.CoreV1().Pods("bench").Create(ctx, pod(fmt.Sprintf("p%d", i), withResources(rl("cpu", "1m"), nil)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
