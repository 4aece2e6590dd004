package main

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Full-scale counts of the pods phase.
const (
	fullPods  = 10000
	nodeNames = 100
)

// createPods stores Pods (one container, a few labels, spread over nodeNames node
// names) from --clients parallel protobuf clients, then samples RSS.
func (l *load) createPods(ctx context.Context) error {
	clients, err := newClientsets(l.base, l.opts.clients, true, time.Minute)
	if err != nil {
		return err
	}
	ns, err := l.createNamespace(ctx, clients[0], "pods")
	if err != nil {
		return err
	}
	if err := ensureDefaultServiceAccount(ctx, clients[0], ns); err != nil {
		return err
	}
	n := l.count(fullPods)
	fmt.Fprintf(l.log, "# creating %d Pods in %s with %d clients\n", n, ns, l.opts.clients)
	cpu := l.startCPU()
	took, err := runParallel(ctx, n, l.opts.clients, func(ctx context.Context, worker, i int) error {
		_, err := clients[worker].CoreV1().Pods(ns).Create(ctx, l.pod(i), metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("creating Pods: %w", err)
	}
	l.podsNS, l.pods = ns, n
	l.out.figure("create_pods_per_sec", perSecond(n, took), "req/s")
	cpu.report(l.out, "create_pods", n)
	return l.sampleRSS(ctx, "rss_after_pods_mib")
}

// pod is the i-th Pod of the load: a pause container on node-<i mod 100>.
func (l *load) pod(i int) *corev1.Pod {
	node := nodeName(i % nodeNames)
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: fmt.Sprintf("pod-%05d", i),
			Labels: map[string]string{
				runLabel: l.runID,
				"app":    "kapi-load",
				"node":   node,
				"shard":  fmt.Sprintf("s%d", i%10),
			},
		},
		Spec: corev1.PodSpec{
			NodeName: node,
			Containers: []corev1.Container{{
				Name:  "pause",
				Image: "registry.k8s.io/pause:3.10",
			}},
		},
	}
}

func nodeName(i int) string { return fmt.Sprintf("node-%03d", i) }
