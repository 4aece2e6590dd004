// Package webhookclient posts review objects (TokenReview, SubjectAccessReview) to a
// webhook named by a kubeconfig file, retrying as kube-apiserver's webhook clients do.
package webhookclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// maxAnswer bounds a webhook's answer.
const maxAnswer = 1 << 20

// Client is one webhook.
type Client struct {
	url     string
	http    *http.Client
	backoff time.Duration
	// what names the webhook in errors ("authorization webhook").
	what string
}

// New reads kubeconfigFile (the webhook's server, CA and credentials). timeout bounds
// one call; backoff is the first retry delay (0: 500ms).
func New(kubeconfigFile string, timeout, backoff time.Duration, what string) (*Client, error) {
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: kubeconfigFile}
	restCfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, &clientcmd.ConfigOverrides{}).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("%s kubeconfig %s: %w", what, kubeconfigFile, err)
	}
	restCfg.Timeout = timeout
	client, err := rest.HTTPClientFor(restCfg)
	if err != nil {
		return nil, err
	}
	if backoff == 0 {
		backoff = 500 * time.Millisecond
	}
	return &Client{url: restCfg.Host, http: client, backoff: backoff, what: what}, nil
}

// Review posts body and decodes the answer's status into status. Connection failures,
// 5xx and 429 answers are retried four times with a growing delay. An error never
// quotes an answer that contains secret (a token under review).
func (c *Client) Review(ctx context.Context, body []byte, status any, secret string) error {
	delay := c.backoff
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		if attempt > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return errors.Join(lastErr, ctx.Err())
			case <-t.C:
			}
			delay = delay * 3 / 2
		}
		retry, err := c.post(ctx, body, status, secret)
		if err == nil {
			return nil
		}
		lastErr = err
		if !retry {
			break
		}
	}
	return lastErr
}

func (c *Client) post(ctx context.Context, body []byte, status any, secret string) (retry bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return ctx.Err() == nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return true, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		answer := bytes.TrimSpace(data)
		if secret != "" && bytes.Contains(answer, []byte(secret)) {
			answer = []byte("<answer withheld>")
		}
		return resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests,
			fmt.Errorf("%s returned %d: %s", c.what, resp.StatusCode, answer)
	}
	out := struct {
		Status any `json:"status"`
	}{Status: status}
	if err := json.Unmarshal(data, &out); err != nil {
		return false, fmt.Errorf("decoding the %s's answer: %w", c.what, err)
	}
	return false, nil
}
