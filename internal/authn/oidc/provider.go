package oidc

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
)

const (
	wellKnownPath = "/.well-known/openid-configuration"
	// retryInitAfter is how long a failed discovery is remembered before the next
	// token triggers another (upstream polls every 10s).
	retryInitAfter = 10 * time.Second
	// fetchTimeout bounds one discovery or key set request.
	fetchTimeout = 30 * time.Second
	// maxDocumentBytes bounds what is read from the issuer.
	maxDocumentBytes = 4 << 20
)

// provider finds an issuer's signing keys: its discovery document names the key
// set, which is fetched again when no cached key verifies a token.
type provider struct {
	issuer       string
	discoveryURL string
	client       *http.Client

	// initMu is held while discovering; a request that finds it held does not wait.
	initMu sync.Mutex

	// mu guards the fields below.
	mu       sync.Mutex
	jwksURI  string
	keys     []jose.JSONWebKey
	initErr  error
	initTime time.Time
	// refresh is the key set fetch in flight, shared by the requests waiting for it.
	refresh *keyFetch
}

type keyFetch struct {
	done chan struct{}
	keys []jose.JSONWebKey
	err  error
}

// newProvider builds the provider of one issuer; its CertificateAuthority, when
// set, replaces the system roots for the issuer's TLS certificate.
func newProvider(iss Issuer) (*provider, error) {
	var roots *x509.CertPool
	if iss.CertificateAuthority != "" {
		roots = x509.NewCertPool()
		if !roots.AppendCertsFromPEM([]byte(iss.CertificateAuthority)) {
			return nil, errors.New("oidc: the certificate authority holds no PEM certificates")
		}
	}
	client := &http.Client{
		Timeout: fetchTimeout,
		Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			TLSClientConfig:     &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout: 10 * time.Second,
			IdleConnTimeout:     90 * time.Second,
			MaxIdleConnsPerHost: 2,
		},
	}
	d := discoveryURL(iss)
	if d == "" {
		d = strings.TrimSuffix(iss.URL, "/") + wellKnownPath
	}
	return &provider{issuer: iss.URL, discoveryURL: d, client: client}, nil
}

// close releases idle connections.
func (p *provider) close() { p.client.CloseIdleConnections() }

// ready reports whether discovery succeeded; it discovers now when it has not and
// the last failure is not too recent.
func (p *provider) ready(ctx context.Context) error {
	p.mu.Lock()
	if p.jwksURI != "" {
		p.mu.Unlock()
		return nil
	}
	if p.initErr != nil && time.Since(p.initTime) < retryInitAfter {
		err := p.initErr
		p.mu.Unlock()
		return err
	}
	p.mu.Unlock()
	if !p.initMu.TryLock() {
		return fmt.Errorf("oidc: authenticator for issuer %q is not initialized", p.issuer)
	}
	defer p.initMu.Unlock()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), fetchTimeout)
	defer cancel()
	jwksURI, err := p.discover(ctx)
	var keys []jose.JSONWebKey
	if err == nil {
		keys, err = p.fetchKeys(ctx, jwksURI)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.initErr, p.initTime = err, time.Now()
	if err != nil {
		return err
	}
	p.jwksURI, p.keys = jwksURI, keys
	return nil
}

// discover reads the discovery document, whose issuer must be the configured one.
func (p *provider) discover(ctx context.Context) (string, error) {
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := p.getJSON(ctx, p.discoveryURL, &doc); err != nil {
		return "", fmt.Errorf("oidc: discovery for issuer %q: %w", p.issuer, err)
	}
	if doc.Issuer != p.issuer {
		return "", fmt.Errorf("oidc: issuer did not match the issuer returned by provider, expected %q got %q", p.issuer, doc.Issuer)
	}
	if doc.JWKSURI == "" {
		return "", errors.New("oidc: provider did not return JWKS URL")
	}
	return doc.JWKSURI, nil
}

func (p *provider) fetchKeys(ctx context.Context, uri string) ([]jose.JSONWebKey, error) {
	var set jose.JSONWebKeySet
	if err := p.getJSON(ctx, uri, &set); err != nil {
		return nil, fmt.Errorf("oidc: fetching keys: %w", err)
	}
	return set.Keys, nil
}

func (p *provider) getJSON(ctx context.Context, url string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	if err := json.Unmarshal(body, into); err != nil {
		return fmt.Errorf("got Content-Type = %s, but could not unmarshal as JSON: %w", resp.Header.Get("Content-Type"), err)
	}
	return nil
}

// verifySignature checks the token's signature with the cached keys and, when
// none verifies it (a rotated key), with the key set fetched again.
func (p *provider) verifySignature(ctx context.Context, jws *jose.JSONWebSignature) ([]byte, error) {
	kid := jws.Signatures[0].Header.KeyID
	p.mu.Lock()
	keys := p.keys
	p.mu.Unlock()
	if payload, ok := verifyWith(jws, kid, keys); ok {
		return payload, nil
	}
	keys, err := p.refreshKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("fetching keys %w", err)
	}
	if payload, ok := verifyWith(jws, kid, keys); ok {
		return payload, nil
	}
	return nil, errors.New("failed to verify id token signature")
}

func verifyWith(jws *jose.JSONWebSignature, kid string, keys []jose.JSONWebKey) ([]byte, bool) {
	for i := range keys {
		if kid != "" && keys[i].KeyID != kid {
			continue
		}
		if payload, err := jws.Verify(&keys[i]); err == nil {
			return payload, true
		}
	}
	return nil, false
}

// refreshKeys fetches the key set again, sharing one fetch among concurrent
// callers; the fetch is detached from any one request and bounded by fetchTimeout.
func (p *provider) refreshKeys(ctx context.Context) ([]jose.JSONWebKey, error) {
	p.mu.Lock()
	f := p.refresh
	if f == nil {
		f = &keyFetch{done: make(chan struct{})}
		p.refresh = f
		uri := p.jwksURI
		go func() {
			fctx, cancel := context.WithTimeout(context.Background(), fetchTimeout)
			defer cancel()
			f.keys, f.err = p.fetchKeys(fctx, uri)
			p.mu.Lock()
			defer p.mu.Unlock()
			if f.err == nil {
				p.keys = f.keys
			}
			p.refresh = nil
			close(f.done)
		}()
	}
	p.mu.Unlock()
	select {
	case <-f.done:
		return f.keys, f.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
