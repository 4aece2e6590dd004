package webhook

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// ServiceGetter reads a Service, for webhooks addressed by service reference.
type ServiceGetter func(ctx context.Context, namespace, name string) (*corev1.Service, error)

// EndpointSliceLister lists the EndpointSlices of a Service.
type EndpointSliceLister func(ctx context.Context, namespace, service string) ([]discoveryv1.EndpointSlice, error)

// clients builds and caches one HTTP client per CA bundle and server name.
type clients struct {
	// mu guards byKey.
	mu    sync.Mutex
	byKey map[string]*http.Client
}

func (c *clients) get(caBundle []byte, serverName, user string, auth *clientcmdapi.AuthInfo) (*http.Client, error) {
	key := serverName + "\x00" + user + "\x00" + string(caBundle)
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.byKey[key]; ok {
		return cl, nil
	}
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, ServerName: serverName}
	if len(caBundle) > 0 {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caBundle) {
			return nil, errors.New("unable to load caBundle")
		}
		cfg.RootCAs = pool
	}
	if auth != nil {
		certs, err := clientCertificate(auth)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = certs
	}
	cl := &http.Client{
		Transport: &http.Transport{TLSClientConfig: cfg, Proxy: nil, ForceAttemptHTTP2: true, MaxIdleConnsPerHost: 16},
		// A webhook's redirect is never followed: the answer must come from the
		// configured endpoint.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	if c.byKey == nil {
		c.byKey = map[string]*http.Client{}
	}
	c.byKey[key] = cl
	return cl, nil
}

// resolver turns a webhook's clientConfig into a URL and the TLS server name.
type resolver struct {
	services          ServiceGetter
	endpointSlices    EndpointSliceLister
	aggregatorRouting bool
}

func (r resolver) resolve(ctx context.Context, cc admissionregistrationv1.WebhookClientConfig) (*url.URL, string, error) {
	if cc.URL != nil {
		u, err := url.Parse(*cc.URL)
		if err != nil {
			return nil, "", fmt.Errorf("invalid webhook URL: %w", err)
		}
		return u, u.Hostname(), nil
	}
	if cc.Service == nil {
		return nil, "", errors.New("webhook has neither url nor service")
	}
	svc := cc.Service
	port := int32(443)
	if svc.Port != nil {
		port = *svc.Port
	}
	serverName := svc.Name + "." + svc.Namespace + ".svc"
	host, err := r.serviceHost(ctx, svc.Namespace, svc.Name, port)
	if err != nil {
		return nil, "", err
	}
	u := &url.URL{Scheme: "https", Host: host}
	if svc.Path != nil {
		u.Path = *svc.Path
	}
	return u, serverName, nil
}

// serviceHost returns host:port for a service port: a ready endpoint with
// aggregator routing, the cluster IP otherwise.
func (r resolver) serviceHost(ctx context.Context, ns, name string, port int32) (string, error) {
	if r.services == nil {
		return "", fmt.Errorf("service %s/%s: no service resolver", ns, name)
	}
	svc, err := r.services(ctx, ns, name)
	if err != nil {
		return "", fmt.Errorf("service %s/%s: %w", ns, name, err)
	}
	var sp *corev1.ServicePort
	for i := range svc.Spec.Ports {
		if svc.Spec.Ports[i].Port == port {
			sp = &svc.Spec.Ports[i]
		}
	}
	if sp == nil {
		return "", fmt.Errorf("service %s/%s has no port %d", ns, name, port)
	}
	if svc.Spec.Type == corev1.ServiceTypeExternalName {
		return net.JoinHostPort(svc.Spec.ExternalName, strconv.Itoa(int(port))), nil
	}
	if !r.aggregatorRouting {
		if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
			return "", fmt.Errorf("service %s/%s has no cluster IP", ns, name)
		}
		return net.JoinHostPort(svc.Spec.ClusterIP, strconv.Itoa(int(port))), nil
	}
	if r.endpointSlices == nil {
		return "", fmt.Errorf("service %s/%s: no endpoint resolver", ns, name)
	}
	slices, err := r.endpointSlices(ctx, ns, name)
	if err != nil {
		return "", err
	}
	for _, s := range slices {
		for _, p := range s.Ports {
			if p.Port == nil || (p.Name != nil && *p.Name != sp.Name) {
				continue
			}
			for _, ep := range s.Endpoints {
				if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
					continue
				}
				if len(ep.Addresses) > 0 {
					return net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(*p.Port))), nil
				}
			}
		}
	}
	return "", fmt.Errorf("service %s/%s has no ready endpoints for port %d", ns, name, port)
}

// ServiceHost returns a resolver of service ports to host:port the way webhooks are
// reached: the cluster IP, or a ready endpoint with aggregatorRouting. CRD conversion
// webhooks use it too.
func ServiceHost(services ServiceGetter, endpointSlices EndpointSliceLister, aggregatorRouting bool) func(ctx context.Context, ns, name string, port int32) (string, error) {
	return resolver{services: services, endpointSlices: endpointSlices, aggregatorRouting: aggregatorRouting}.serviceHost
}
