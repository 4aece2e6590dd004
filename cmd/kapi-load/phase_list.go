package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// listRepeats is how many times each LIST runs; the p50 of them is reported.
const listRepeats = 7

// listPods times LISTs of the Pods the pods phase stored: all of them in JSON and in
// protobuf, and those of one node by label selector (1 in nodeNames).
func (l *load) listPods(ctx context.Context) error {
	if l.podsNS == "" {
		return fmt.Errorf("no Pods to list (the pods phase did not run)")
	}
	jsonClient, err := newClientset(l.base, false, 5*time.Minute)
	if err != nil {
		return err
	}
	pbClient, err := newClientset(l.base, true, 5*time.Minute)
	if err != nil {
		return err
	}
	selector := "node=" + nodeName(0)
	wantSelected := (l.pods + nodeNames - 1) / nodeNames
	cases := []struct {
		figure   string
		client   *kubernetes.Clientset
		selector string
		want     int
	}{
		{"list_pods_json_p50_ms", jsonClient, "", l.pods},
		{"list_pods_protobuf_p50_ms", pbClient, "", l.pods},
		{"list_pods_label_selector_p50_ms", pbClient, selector, wantSelected},
	}
	for _, c := range cases {
		samples := make([]time.Duration, 0, listRepeats)
		for range listRepeats {
			start := time.Now()
			list, err := c.client.CoreV1().Pods(l.podsNS).List(ctx, metav1.ListOptions{LabelSelector: c.selector})
			if err != nil {
				return fmt.Errorf("listing Pods (%s): %w", c.figure, err)
			}
			samples = append(samples, time.Since(start))
			if len(list.Items) != c.want {
				return fmt.Errorf("%s: got %d Pods, want %d: %w", c.figure, len(list.Items), c.want, errShort)
			}
		}
		p50, _ := percentile(samples, 50)
		l.out.figure(c.figure, millis(p50), "ms")
	}
	// The same full LISTs timed to the response's last byte, without the client's
	// decoding into typed objects (which, for 10,000 Pods, takes client-go longer
	// than the server takes to answer).
	for _, c := range cases[:2] {
		samples := make([]time.Duration, 0, listRepeats)
		for range listRepeats {
			start := time.Now()
			body, err := c.client.CoreV1().RESTClient().Get().Namespace(l.podsNS).Resource("pods").DoRaw(ctx)
			if err != nil {
				return fmt.Errorf("listing Pods (%s, raw): %w", c.figure, err)
			}
			samples = append(samples, time.Since(start))
			if len(body) < c.want*100 { // every Pod is several hundred bytes in either encoding
				return fmt.Errorf("%s: a raw list of %d bytes cannot hold %d Pods: %w", c.figure, len(body), c.want, errShort)
			}
		}
		p50, _ := percentile(samples, 50)
		l.out.figure(strings.TrimSuffix(c.figure, "_p50_ms")+"_transfer_p50_ms", millis(p50), "ms")
	}
	l.out.count("list_pods_items", l.pods, "pods")
	l.out.count("list_pods_label_selector_items", wantSelected, "pods")
	return nil
}
