package server_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// BenchmarkWatchFanOut1000 is the load command's watch phase in one process: 1,000
// protobuf watchers of one namespace, 50 per HTTP/2 connection, and bursts of 50
// sequential creates; an op is one burst delivered to every watcher. It reports the
// delivery latency (receive minus the create's send time) as p50-ms and p99-ms, and
// the CPU time per burst as cpu-ms/op.
func BenchmarkWatchFanOut1000(b *testing.B) {
	const (
		watchers   = 1000
		perConn    = 50
		burst      = 50
		annotation = "bench/seq"
	)
	in := servertest.Start(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	newClient := func() *kubernetes.Clientset {
		cfg := rest.CopyConfig(in.Config)
		cfg.ContentType = "application/vnd.kubernetes.protobuf"
		cfg.AcceptContentTypes = "application/vnd.kubernetes.protobuf,application/json"
		// A dialer of its own keeps client-go from sharing one cached transport.
		cfg.Dial = (&net.Dialer{Timeout: 30 * time.Second}).DialContext
		return kubernetes.NewForConfigOrDie(cfg)
	}
	creator := newClient()
	ns := "fanout"
	if _, err := creator.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}
	list, err := creator.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	total := burst * b.N
	sent := make([]time.Time, total)
	var sentMu sync.RWMutex // guards sent
	var delivered atomic.Int64
	lat := make([][]time.Duration, watchers)
	var wg sync.WaitGroup
	var clients []*kubernetes.Clientset
	for i := 0; i < watchers; i++ {
		if i%perConn == 0 {
			clients = append(clients, newClient())
		}
		w, err := clients[len(clients)-1].CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{ResourceVersion: list.ResourceVersion})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Stop()
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]time.Duration, 0, total)
			for len(got) < total {
				ev, ok := <-w.ResultChan()
				if !ok {
					b.Errorf("watch %d ended after %d events", i, len(got))
					return
				}
				now := time.Now()
				cm, isCM := ev.Object.(*corev1.ConfigMap)
				if ev.Type != watch.Added || !isCM {
					continue
				}
				seq, err := strconv.Atoi(cm.Annotations[annotation])
				if err != nil {
					continue
				}
				if seq != len(got) {
					b.Errorf("watch %d: got create %d, want %d", i, seq, len(got))
					return
				}
				sentMu.RLock()
				got = append(got, now.Sub(sent[seq]))
				sentMu.RUnlock()
				delivered.Add(1)
			}
			lat[i] = got
		}()
	}
	cpuStart := cpuTime(b)
	b.ResetTimer()
	seq := 0
	for n := 0; n < b.N; n++ {
		for range burst {
			cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("w-%05d", seq),
				Annotations: map[string]string{annotation: strconv.Itoa(seq)}}}
			sentMu.Lock()
			sent[seq] = time.Now()
			sentMu.Unlock()
			if _, err := creator.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
			seq++
		}
		// Every watcher has the burst before the next one starts.
		for delivered.Load() < int64(watchers*seq) {
			time.Sleep(100 * time.Microsecond)
		}
	}
	wg.Wait()
	b.StopTimer()
	// Wall-clock figures swing with whatever else the machine runs; the process's CPU
	// time per burst (server and clients together) is the steadier figure.
	b.ReportMetric(float64(cpuTime(b)-cpuStart)/float64(b.N)/1e6, "cpu-ms/op")
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	if len(all) != watchers*total {
		b.Fatalf("%d of %d deliveries", len(all), watchers*total)
	}
	if testing.Verbose() {
		for s := 0; s < burst; s += 5 {
			var per []time.Duration
			for _, l := range lat {
				per = append(per, l[s])
			}
			slices.Sort(per)
			b.Logf("event %d: first %v, median %v, last %v", s, per[0], per[len(per)/2], per[len(per)-1])
		}
	}
	slices.Sort(all)
	b.ReportMetric(float64(all[len(all)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100])/1e6, "p99-ms")
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
