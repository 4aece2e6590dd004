package node_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/authz/node"
	"github.com/kapi-dev/kapi/internal/request"
)

// BenchmarkAuthorizeSecretGet: a kubelet's secret get with 1,000 pods on 100 nodes in
// one namespace (the worst case for a namespace-scoped list), each pod mounting its
// own secret, through the pod index and through a list from the watch cache. The
// rules case touches no store: the floor of an Authorize call.
func BenchmarkAuthorizeSecretGet(b *testing.B) {
	ts := startStores(b)
	for i := range 1000 {
		p := withSecretVolume(podOn("bench", fmt.Sprintf("pod-%d", i), fmt.Sprintf("node-%d", i%100)), "s", fmt.Sprintf("secret-%d", i))
		ts.create(b, "pods", p)
	}
	ts.sync(b)
	node7 := &request.User{Name: "system:node:node-7", Groups: []string{"system:nodes"}}
	cases := []struct {
		name, url string
		want      authz.Decision
	}{
		{name: "related", url: "/api/v1/namespaces/bench/secrets/secret-907", want: authz.Allow},
		{name: "unrelated", url: "/api/v1/namespaces/bench/secrets/secret-908", want: authz.NoOpinion},
		{name: "rules only", url: "/api/v1/namespaces/bench/services/web", want: authz.Allow},
	}
	for _, mode := range modes {
		a := node.New(ts.sources)
		if mode.index {
			ctx, cancel := context.WithCancel(context.Background())
			b.Cleanup(cancel)
			a.Run(ctx)
			for deadline := time.Now().Add(10 * time.Second); !a.Synced(); time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					b.Fatal("pod index not synced")
				}
			}
		}
		for _, c := range cases {
			b.Run(mode.name+"/"+c.name, func(b *testing.B) {
				attrs := authz.Attributes{User: node7, Info: request.ParseInfo(httptest.NewRequest("GET", c.url, nil))}
				ctx := context.Background()
				if d, _, err := a.Authorize(ctx, attrs); d != c.want || err != nil {
					b.Fatalf("decision %v %v, want %v", d, err, c.want)
				}
				b.ReportAllocs()
				for b.Loop() {
					a.Authorize(ctx, attrs)
				}
			})
		}
	}
}
