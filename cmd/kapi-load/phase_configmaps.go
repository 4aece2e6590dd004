package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Full-scale counts of the configmaps phase.
const (
	fullConfigMaps = 5000
	configMapBytes = 1024
	getSamples     = 500 // single GETs whose p50 is reported (at most one per ConfigMap)
)

// configMaps creates ~1 KB ConfigMaps from --clients parallel protobuf clients, then
// times single GETs of random ones from one client.
func (l *load) configMaps(ctx context.Context) error {
	clients, err := newClientsets(l.base, l.opts.clients, true, time.Minute)
	if err != nil {
		return err
	}
	ns, err := l.createNamespace(ctx, clients[0], "configmaps")
	if err != nil {
		return err
	}
	n := l.count(fullConfigMaps)
	payload := strings.Repeat("x", configMapBytes-64) // the rest of the KB is metadata
	fmt.Fprintf(l.log, "# creating %d ConfigMaps in %s with %d clients\n", n, ns, l.opts.clients)
	cpu := l.startCPU()
	took, err := runParallel(ctx, n, l.opts.clients, func(ctx context.Context, worker, i int) error {
		cm := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: configMapName(i), Labels: map[string]string{runLabel: l.runID}},
			Data:       map[string]string{"payload": payload},
		}
		_, err := clients[worker].CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
		return err
	})
	if err != nil {
		return fmt.Errorf("creating ConfigMaps: %w", err)
	}
	l.out.figure("create_configmaps_per_sec", perSecond(n, took), "req/s")
	cpu.report(l.out, "create_configmaps", n)

	samples := make([]time.Duration, 0, min(n, getSamples))
	for range cap(samples) {
		name := configMapName(rand.IntN(n))
		start := time.Now()
		if _, err := clients[0].CoreV1().ConfigMaps(ns).Get(ctx, name, metav1.GetOptions{}); err != nil {
			return fmt.Errorf("getting ConfigMap %s: %w", name, err)
		}
		samples = append(samples, time.Since(start))
	}
	p50, _ := percentile(samples, 50)
	l.out.figure("get_configmap_p50_ms", millis(p50), "ms")
	return nil
}

func configMapName(i int) string { return fmt.Sprintf("cm-%05d", i) }
