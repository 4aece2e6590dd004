package audit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// WebhookPluginName labels the webhook backend's errors.
const WebhookPluginName = "webhook"

// DefaultWebhookInitialBackoff is --audit-webhook-initial-backoff's default.
const DefaultWebhookInitialBackoff = 10 * time.Second

// webhookAttempts, webhookBackoffFactor and webhookJitter are upstream's retry shape.
const (
	webhookAttempts      = 5
	webhookBackoffFactor = 1.5
	webhookJitter        = 0.2
	webhookTimeout       = 30 * time.Second
)

// Webhook posts audit.k8s.io/v1 EventLists to the server of a kubeconfig file,
// retrying failures with exponential backoff.
type Webhook struct {
	url            string
	client         *http.Client
	initialBackoff time.Duration
	metrics        *Metrics
	// stop ends retries at Shutdown so that shutting down is bounded.
	stop   context.Context
	cancel context.CancelFunc
}

// NewWebhook reads the kubeconfig of --audit-webhook-config-file: its current
// context's cluster server is the URL events are posted to, with its TLS settings
// and credentials.
func NewWebhook(kubeconfig string, initialBackoff time.Duration, m *Metrics) (*Webhook, error) {
	cfg, err := clientcmd.LoadFromFile(kubeconfig)
	if err != nil {
		return nil, fmt.Errorf("initializing audit webhook: %w", err)
	}
	restCfg, err := clientcmd.NewDefaultClientConfig(*cfg, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("initializing audit webhook: %w", err)
	}
	if restCfg.Timeout == 0 {
		restCfg.Timeout = webhookTimeout
	}
	client, err := rest.HTTPClientFor(restCfg)
	if err != nil {
		return nil, fmt.Errorf("initializing audit webhook: %w", err)
	}
	if initialBackoff <= 0 {
		initialBackoff = DefaultWebhookInitialBackoff
	}
	ctx, cancel := context.WithCancel(context.Background())
	return &Webhook{url: restCfg.Host, client: client, initialBackoff: initialBackoff, metrics: m, stop: ctx, cancel: cancel}, nil
}

// ProcessEvents implements Backend: one POST of all events, retried.
func (w *Webhook) ProcessEvents(events ...*Event) bool {
	list := EventList{Items: make([]Event, len(events))}
	list.Kind, list.APIVersion = "EventList", PolicyGroupVersion
	for i, e := range events {
		list.Items[i] = *e
	}
	body, err := json.Marshal(list)
	if err == nil {
		err = w.postWithRetries(body)
	}
	if err != nil {
		w.metrics.ObserveError(WebhookPluginName, len(events))
		slog.Error("audit webhook lost events", "events", len(events), "err", err)
		return false
	}
	return true
}

func (w *Webhook) postWithRetries(body []byte) error {
	delay := w.initialBackoff
	var err error
	for attempt := 1; ; attempt++ {
		if err = w.post(body); err == nil || attempt == webhookAttempts {
			return err
		}
		jittered := delay + time.Duration(rand.Float64()*webhookJitter*float64(delay))
		select {
		case <-time.After(jittered):
		case <-w.stop.Done():
			return fmt.Errorf("shutting down after %d attempts: %w", attempt, err)
		}
		delay = time.Duration(float64(delay) * webhookBackoffFactor)
	}
}

func (w *Webhook) post(body []byte) error {
	req, err := http.NewRequest(http.MethodPost, w.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("the server responded %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	return nil
}

// Shutdown implements Backend: pending retries give up.
func (w *Webhook) Shutdown() {
	w.cancel()
	w.client.CloseIdleConnections()
}
