package conversion

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

// client posts ConversionReviews to one webhook.
type client struct {
	url  string
	http *http.Client
}

// answer is a webhook's HTTP response.
type answer struct {
	status      int
	contentType string
	body        []byte
}

// Response bounds: a webhook may grow the objects it converts, but not without
// limit.
const (
	minResponseLimit = 16 << 20
	responseGrowth   = 4
)

// newClient builds the HTTPS client of a webhook clientConfig as upstream's webhook
// client manager does: the URL's path (or the service's path on
// <name>.<namespace>.svc:<port>, port 443 by default), the caBundle as the only
// roots (the system roots when it is empty or blank), HTTP/1.1, a ?timeout= query and
// an overall timeout. Redirects are never followed.
func newClient(cc *apiextensionsv1.WebhookClientConfig, opts Options) (*client, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if len(bytes.TrimSpace(cc.CABundle)) > 0 {
		pool, err := rootPool(cc.CABundle)
		if err != nil {
			return nil, fmt.Errorf("unable to load root certificates: %w", err)
		}
		cfg.RootCAs = pool
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	dial := dialer.DialContext
	var target url.URL
	switch {
	case cc.Service != nil:
		port := int32(443)
		if cc.Service.Port != nil && *cc.Service.Port != 0 {
			port = *cc.Service.Port
		}
		serverName := cc.Service.Name + "." + cc.Service.Namespace + ".svc"
		host := net.JoinHostPort(serverName, strconv.Itoa(int(port)))
		target = url.URL{Scheme: "https", Host: host}
		if cc.Service.Path != nil {
			target.Path = *cc.Service.Path
		}
		cfg.ServerName = serverName
		if resolve := opts.ResolveService; resolve != nil {
			ns, name := cc.Service.Namespace, cc.Service.Name
			dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
				if addr == host {
					u, err := resolve(ns, name, port)
					if err != nil {
						return nil, err
					}
					addr = u.Host
				}
				return dialer.DialContext(ctx, network, addr)
			}
		}
	case cc.URL != nil:
		u, err := url.Parse(*cc.URL)
		if err != nil {
			//lint:ignore ST1005 upstream's message, capitalised
			return nil, fmt.Errorf("Unparsable URL: %v", err)
		}
		target = url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	default:
		return nil, errors.New("webhook configuration must have either service or URL")
	}
	target.Path = path.Join("/", target.Path)
	target.RawQuery = url.Values{"timeout": {opts.timeout.String()}}.Encode()
	return &client{
		url: target.String(),
		http: &http.Client{
			Timeout: opts.timeout,
			Transport: &http.Transport{
				TLSClientConfig:     cfg,
				DialContext:         dial,
				TLSHandshakeTimeout: 10 * time.Second,
				IdleConnTimeout:     90 * time.Second,
				MaxIdleConnsPerHost: 16,
			},
			// The answer must come from the configured endpoint.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}, nil
}

// rootPool parses a caBundle, failing with client-go's messages.
func rootPool(caBundle []byte) (*x509.CertPool, error) {
	pool := x509.NewCertPool()
	if pool.AppendCertsFromPEM(caBundle) {
		return pool, nil
	}
	rest := caBundle
	for len(rest) > 0 {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return nil, errors.New("unable to parse bytes as PEM block")
		}
		if block.Type != "CERTIFICATE" || len(block.Headers) != 0 {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return nil, fmt.Errorf("failed to parse certificate: %w", err)
		}
	}
	return nil, errors.New("no valid certificate authority data seen")
}

// post sends a review and reads the answer, at most limit bytes of it.
func (c *client) post(ctx context.Context, body []byte) (*answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, */*")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	limit := max(int64(minResponseLimit), int64(responseGrowth)*int64(len(body)))
	raw, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, fmt.Errorf("unexpected error when reading response body. Please retry. Original error: %w", err)
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("response body larger than %d bytes", limit)
	}
	return &answer{status: resp.StatusCode, contentType: resp.Header.Get("Content-Type"), body: raw}, nil
}
