package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Full-scale counts of the watch phase.
const (
	fullWatchers       = 1000
	fullWatchCreates   = 50
	watchersPerClient  = 50 // watches share a connection; kapi allows 100 streams on one
	seqAnnotation      = "kapi-load.kapi.dev/seq"
	deliveryWaitMargin = 60 * time.Second
)

// watchFanOut opens watchers on one namespace's ConfigMaps, creates ConfigMaps one
// after the other, each tagged with its sequence number, and measures every
// delivery as receive time minus the time its create was sent.
func (l *load) watchFanOut(ctx context.Context) error {
	creator, err := newClientset(l.base, true, time.Minute)
	if err != nil {
		return err
	}
	ns, err := l.createNamespace(ctx, creator, "watch")
	if err != nil {
		return err
	}
	watchers, creates := l.count(fullWatchers), l.count(fullWatchCreates)
	clients, err := newClientsets(l.base, (watchers+watchersPerClient-1)/watchersPerClient, true, 0)
	if err != nil {
		return err
	}
	// Every watcher starts from this resourceVersion, so none misses an event even if
	// its watch is registered after the first create.
	list, err := creator.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return fmt.Errorf("listing ConfigMaps of %s: %w", ns, err)
	}
	rv := list.ResourceVersion

	watchCtx, stopWatches := context.WithCancel(ctx)
	defer stopWatches()
	sent := make([]atomic.Int64, creates) // UnixNano when create seq was sent
	fan := &fanOut{perWatcher: creates, latencies: make([][]time.Duration, watchers)}
	fmt.Fprintf(l.log, "# opening %d watches on %s\n", watchers, ns)
	streams := make([]watch.Interface, watchers)
	_, err = runParallel(ctx, watchers, l.opts.clients, func(ctx context.Context, _, i int) error {
		w, err := clients[i/watchersPerClient].CoreV1().ConfigMaps(ns).Watch(watchCtx,
			metav1.ListOptions{ResourceVersion: rv, AllowWatchBookmarks: false})
		if err != nil {
			return fmt.Errorf("opening watch %d: %w", i, err)
		}
		streams[i] = w
		return nil
	})
	if err != nil {
		for _, w := range streams {
			if w != nil {
				w.Stop()
			}
		}
		return err
	}
	var wg sync.WaitGroup
	for i, w := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			fan.consume(watchCtx, i, w, sent)
		}()
	}

	// The server's memory with every watch open and idle (the watches stay open
	// while it settles).
	if err := l.sampleRSS(ctx, "rss_after_watchers_mib"); err != nil {
		return err
	}

	fmt.Fprintf(l.log, "# creating %d ConfigMaps, one after the other\n", creates)
	cpu := l.startCPU()
	for seq := range creates {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Name:        fmt.Sprintf("watched-%03d", seq),
			Labels:      map[string]string{runLabel: l.runID},
			Annotations: map[string]string{seqAnnotation: strconv.Itoa(seq)},
		}}
		sent[seq].Store(time.Now().UnixNano())
		if _, err := creator.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating watched ConfigMap %d: %w", seq, err)
		}
	}

	expected := watchers * creates
	waitCtx, cancelWait := context.WithTimeout(ctx, deliveryWaitMargin)
	defer cancelWait()
	allIn := make(chan struct{})
	go func() { wg.Wait(); close(allIn) }()
	select {
	case <-allIn:
	case <-waitCtx.Done():
		stopWatches()
		<-allIn
	}
	stopWatches()

	all := fan.all()
	received := len(all)
	p50, _ := percentile(all, 50)
	p99, _ := percentile(all, 99)
	if received > 0 {
		l.out.figure("watch_delivery_p50_ms", millis(p50), "ms")
		l.out.figure("watch_delivery_p99_ms", millis(p99), "ms")
	}
	cpu.report(l.out, "watch_delivery", received) // the creates included
	l.out.count("watch_deliveries_received", received, "events")
	l.out.count("watch_deliveries_expected", expected, "events")
	if received != expected || fan.problem() != "" {
		return fmt.Errorf("watch fan-out: %d of %d deliveries arrived %s", received, expected, fan.problem())
	}
	return nil
}

// fanOut collects the latencies the watchers see.
type fanOut struct {
	perWatcher int // events each watcher must see

	mu        sync.Mutex        // guards latencies and firstBad
	latencies [][]time.Duration // per watcher
	firstBad  string            // the first unexpected event, for the error message
}

// consume reads watcher i's stream until it has seen every create once or the
// stream ends; ctx is the watches' context, whose end ends the stream.
func (f *fanOut) consume(ctx context.Context, i int, w watch.Interface, sent []atomic.Int64) {
	seen := make([]bool, len(sent))
	got := make([]time.Duration, 0, f.perWatcher)
	defer func() {
		f.mu.Lock()
		f.latencies[i] = got
		f.mu.Unlock()
	}()
	for len(got) < f.perWatcher {
		// Only the watch's own channel: a select on ctx.Done() as well would lock
		// that channel, shared by every watcher, once per event in each of them.
		// Cancelling ctx ends the watch, which closes its channel.
		ev, ok := <-w.ResultChan()
		if !ok {
			if ctx.Err() == nil {
				f.bad(fmt.Sprintf("watch %d ended early", i))
			}
			return
		}
		now := time.Now()
		if ev.Type == watch.Error {
			f.bad(fmt.Sprintf("watch %d got an error event: %v", i, ev.Object))
			return
		}
		cm, isCM := ev.Object.(*corev1.ConfigMap)
		if ev.Type != watch.Added || !isCM {
			continue
		}
		seq, err := strconv.Atoi(cm.Annotations[seqAnnotation])
		if err != nil || seq < 0 || seq >= len(sent) {
			continue // not one of ours (kube-root-ca.crt, for one)
		}
		if seen[seq] {
			f.bad(fmt.Sprintf("watch %d got create %d twice", i, seq))
			continue
		}
		seen[seq] = true
		got = append(got, now.Sub(time.Unix(0, sent[seq].Load())))
	}
}

func (f *fanOut) bad(msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstBad == "" {
		f.firstBad = msg
	}
}

func (f *fanOut) problem() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstBad == "" {
		return ""
	}
	return "(" + f.firstBad + ")"
}

// all is every latency of every watcher, in one slice.
func (f *fanOut) all() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []time.Duration
	for _, l := range f.latencies {
		out = append(out, l...)
	}
	return out
}
