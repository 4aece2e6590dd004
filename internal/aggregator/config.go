package aggregator

import (
	"context"
	"crypto/tls"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"

	"github.com/kapi-dev/kapi/internal/endpoints/discovery"
	"github.com/kapi-dev/kapi/internal/registry"
)

// Config is what the aggregator needs from the server.
type Config struct {
	// APIServices is the apiservices store: watched for changes, written for status.
	APIServices *registry.Store
	// Services reads a Service and EndpointSlices lists a Service's slices, for the
	// availability checks.
	Services       func(ctx context.Context, ns, name string) (*corev1.Service, error)
	EndpointSlices func(ctx context.Context, ns, name string) ([]discoveryv1.EndpointSlice, error)
	// ResolveService returns the host:port a service port is reached at: its cluster
	// IP, or a ready endpoint with --enable-aggregator-routing.
	ResolveService func(ctx context.Context, ns, name string, port int32) (string, error)
	// ProxyClientCert is the certificate presented to extension servers, asked for
	// on every handshake so a rotated one is used at once; nil presents none.
	ProxyClientCert func() (*tls.Certificate, error)
	// Headers names the front-proxy headers that carry the caller's identity.
	Headers Headers
	// ProbeInterval is how often every remote APIService is checked (30s when 0).
	ProbeInterval time.Duration
	// PublishDiscovery receives the remote group versions whenever they change.
	PublishDiscovery func([]discovery.Remote)
	// Stop, when closed, ends upgraded streams (server shutdown).
	Stop <-chan struct{}
	// Availability, when set, is told each remote APIService's availability after
	// every check, and that a deleted one is gone (nil).
	Availability func(name string, available *bool)
}

// Headers are the front-proxy header names, the first of each --requestheader-*
// flag; empty names get kube-aggregator's X-Remote-* defaults.
type Headers struct {
	User, UID, Group, ExtraPrefix string
	// Strip are every header name (Strip) and prefix (StripPrefixes) the front
	// proxy's authenticator trusts: a caller's own values are removed before the
	// request is forwarded.
	Strip, StripPrefixes []string
}

const defaultProbeInterval = 30 * time.Second

func (h Headers) withDefaults() Headers {
	if h.User == "" {
		h.User = "X-Remote-User"
	}
	if h.UID == "" {
		h.UID = "X-Remote-Uid"
	}
	if h.Group == "" {
		h.Group = "X-Remote-Group"
	}
	if h.ExtraPrefix == "" {
		h.ExtraPrefix = "X-Remote-Extra-"
	}
	h.Strip = append(h.Strip, h.User, h.UID, h.Group, "X-Remote-User", "X-Remote-Uid", "X-Remote-Group")
	h.StripPrefixes = append(h.StripPrefixes, h.ExtraPrefix, "X-Remote-Extra-")
	for i, s := range h.Strip {
		h.Strip[i] = http.CanonicalHeaderKey(s)
	}
	for i, s := range h.StripPrefixes {
		h.StripPrefixes[i] = http.CanonicalHeaderKey(s)
	}
	return h
}
