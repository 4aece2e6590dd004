package server_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// Benchmarks of the whole stack: client-go over HTTPS through the filters, the
// registry, the watch cache and a real embedded etcd.

func clientset(b *testing.B, in *servertest.Instance, protobuf bool) *kubernetes.Clientset {
	cfg := rest.CopyConfig(in.Config)
	if protobuf {
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
	}
	return kubernetes.NewForConfigOrDie(cfg)
}

func configMap(name string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"app": "bench"}},
		Data:       map[string]string{"key": "value-of-some-length-0123456789-0123456789"},
	}
}

func BenchmarkCreateConfigMap(b *testing.B) {
	in := servertest.Start(b)
	cs := clientset(b, in, true)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, configMap(fmt.Sprintf("cm-%d", i)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkGetConfigMap(b *testing.B) {
	in := servertest.Start(b)
	cs := clientset(b, in, true)
	ctx := context.Background()
	if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, configMap("get-me"), metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cs.CoreV1().ConfigMaps("default").Get(ctx, "get-me", metav1.GetOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList1000ConfigMaps(b *testing.B) {
	in := servertest.Start(b)
	ctx := context.Background()
	cs := clientset(b, in, true)
	for i := 0; i < 1000; i++ {
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, configMap(fmt.Sprintf("cm-%04d", i)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		protobuf bool
		rv       string
	}{
		{"json/consistent", false, ""},
		{"protobuf/consistent", true, ""},
		{"protobuf/rv0", true, "0"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := clientset(b, in, tc.protobuf)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				list, err := c.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{ResourceVersion: tc.rv})
				if err != nil {
					b.Fatal(err)
				}
				if len(list.Items) < 1000 { // and kube-root-ca.crt
					b.Fatalf("listed %d, want 1000 and more", len(list.Items))
				}
			}
		})
	}
}

// BenchmarkWatchDelivery measures the time from a create until each of 10 watchers
// over HTTP has received the event.
func BenchmarkWatchDelivery(b *testing.B) {
	in := servertest.Start(b)
	cs := clientset(b, in, true)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	const watchers = 10
	var received atomic.Int64
	for i := 0; i < watchers; i++ {
		w, err := cs.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		go func() {
			for range w.ResultChan() {
				received.Add(1)
			}
		}()
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := cs.CoreV1().ConfigMaps("default").Create(ctx, configMap(fmt.Sprintf("w-%d", i)), metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
		want := int64(watchers * (i + 1))
		deadline := time.Now().Add(10 * time.Second)
		for received.Load() < want {
			if time.Now().After(deadline) {
				b.Fatalf("received %d of %d events", received.Load(), want)
			}
			time.Sleep(50 * time.Microsecond)
		}
	}
}

// BenchmarkApply50ContainerDeployment measures a server-side apply that changes one
// image of a 50-container Deployment.
func BenchmarkApply50ContainerDeployment(b *testing.B) {
	in := servertest.Start(b)
	client := in.HTTPClient(b)
	manifest := func(tag int) string {
		var sb strings.Builder
		sb.WriteString("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: big}\nspec:\n  selector: {matchLabels: {app: big}}\n  template:\n    metadata: {labels: {app: big}}\n    spec:\n      containers:\n")
		for i := 0; i < 50; i++ {
			fmt.Fprintf(&sb, "      - name: c%d\n        image: nginx:1.%d\n        ports: [{containerPort: %d}]\n        env: [{name: A, value: b}]\n", i, tag*i%7, 8000+i)
		}
		return sb.String()
	}
	apply := func(tag int) {
		req, err := http.NewRequest("PATCH", in.URL+"/apis/apps/v1/namespaces/default/deployments/big?fieldManager=bench", strings.NewReader(manifest(tag)))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/apply-patch+yaml")
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			b.Fatalf("apply: %d %s", resp.StatusCode, body)
		}
	}
	apply(0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		apply(i + 1)
	}
}

// BenchmarkList2000Pods lists 2,000 stored Pods (the load command's shape) in JSON
// and protobuf, decoded by client-go ("typed") and as raw bytes ("raw"), so the
// server's share of a LIST shows apart from the client's decoding.
func BenchmarkList2000Pods(b *testing.B) {
	in := servertest.Start(b)
	ctx := context.Background()
	cs := clientset(b, in, true)
	const n = 2000
	for i := 0; i < n; i++ {
		node := fmt.Sprintf("node-%03d", i%100)
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%05d", i),
				Labels: map[string]string{"app": "bench", "node": node, "shard": fmt.Sprintf("s%d", i%10)}},
			Spec: corev1.PodSpec{NodeName: node, Containers: []corev1.Container{{Name: "pause", Image: "registry.k8s.io/pause:3.10"}}},
		}
		if _, err := cs.CoreV1().Pods("default").Create(ctx, pod, metav1.CreateOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name     string
		protobuf bool
		raw      bool
		selector string // a label selector; the list then holds one node's pods
	}{
		{"json/typed", false, false, ""},
		{"json/raw", false, true, ""},
		{"protobuf/typed", true, false, ""},
		{"protobuf/raw", true, true, ""},
		{"protobuf/label-selector", true, false, "node=node-000"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			c := clientset(b, in, tc.protobuf)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if tc.raw {
					body, err := c.CoreV1().RESTClient().Get().Namespace("default").Resource("pods").DoRaw(ctx)
					if err != nil || len(body) < n*100 {
						b.Fatalf("raw list: %d bytes, %v", len(body), err)
					}
					continue
				}
				list, err := c.CoreV1().Pods("default").List(ctx, metav1.ListOptions{LabelSelector: tc.selector})
				if err != nil {
					b.Fatal(err)
				}
				want := n
				if tc.selector != "" {
					want = n / 100 // one of the 100 nodes
				}
				if len(list.Items) != want {
					b.Fatalf("listed %d, want %d", len(list.Items), want)
				}
			}
		})
	}
}
