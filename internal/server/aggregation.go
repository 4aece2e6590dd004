package server

import (
	"crypto/tls"
	"fmt"
	"net/http"
	"os"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/aggregator"
	"github.com/kapi-dev/kapi/internal/endpoints/discovery"
	"github.com/kapi-dev/kapi/internal/pki"
)

// AggregationOptions are kube-apiserver's flags for proxying to extension API servers.
type AggregationOptions struct {
	// ProxyClientCertFile and ProxyClientKeyFile are the client certificate the
	// aggregator presents to extension servers (--proxy-client-cert-file,
	// --proxy-client-key-file). In self-contained mode, with neither these nor
	// --requestheader-client-ca-file, kapi generates a front proxy CA and
	// certificate so aggregation works without flags.
	ProxyClientCertFile string
	ProxyClientKeyFile  string
	// EnableAggregatorRouting sends requests to a ready endpoint of the Service
	// instead of its cluster IP (--enable-aggregator-routing).
	EnableAggregatorRouting bool
	// APIServiceProbeInterval is how often remote APIServices are checked (30s
	// when 0); tests shorten it.
	APIServiceProbeInterval time.Duration
}

// aggregation is the running aggregator and what ends its streams at shutdown.
type aggregation struct {
	*aggregator.Aggregator
	stop     chan struct{}
	stopOnce sync.Once
}

func (a *aggregation) shutdown() { a.stopOnce.Do(func() { close(a.stop) }) }

// setupFrontProxy generates the front proxy PKI in self-contained mode when no
// front proxy is configured: the request-header authenticator then trusts the
// generated CA, and the aggregator presents the generated certificate.
func (s *Server) setupFrontProxy() error {
	o := &s.cfg
	if (o.ProxyClientCertFile == "") != (o.ProxyClientKeyFile == "") {
		return fmt.Errorf("--proxy-client-cert-file and --proxy-client-key-file must be set together")
	}
	if o.ProxyClientCertFile != "" {
		if _, err := tls.LoadX509KeyPair(o.ProxyClientCertFile, o.ProxyClientKeyFile); err != nil {
			return fmt.Errorf("loading --proxy-client-cert-file: %w", err)
		}
		return nil
	}
	if o.TLSCertFile != "" || o.RequestHeaderClientCAFile != "" {
		return nil
	}
	fp, err := pki.EnsureFrontProxy(o.CertDir)
	if err != nil {
		return err
	}
	o.ProxyClientCertFile, o.ProxyClientKeyFile = fp.ClientCertFile, fp.ClientKeyFile
	o.RequestHeaderClientCAFile = fp.CACertFile
	// Header names the operator gave are kept (and validated as usual).
	for _, d := range []struct {
		flag *[]string
		def  string
	}{
		{&o.RequestHeaderAllowedNames, pki.FrontProxyClientName},
		{&o.RequestHeaderUsernameHeaders, "X-Remote-User"},
		{&o.RequestHeaderUIDHeaders, "X-Remote-Uid"},
		{&o.RequestHeaderGroupHeaders, "X-Remote-Group"},
		{&o.RequestHeaderExtraHeaderPrefixes, "X-Remote-Extra-"},
	} {
		if len(*d.flag) == 0 {
			*d.flag = []string{d.def}
		}
	}
	return nil
}

// newAggregation builds the aggregator over the stores; remote group versions are
// published to disc.
func (s *Server) newAggregation(disc *discovery.Handler) *aggregation {
	services := s.stores[schema.GroupVersionResource{Version: "v1", Resource: "services"}]
	slices := s.stores[schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}]
	getService, listSlices := webhook.ServicesFrom(services), webhook.EndpointSlicesFrom(slices)
	o := s.cfg.AuthenticationOptions
	agg := &aggregation{stop: make(chan struct{})}
	var proxyCert func() (*tls.Certificate, error)
	if s.cfg.ProxyClientCertFile != "" {
		proxyCert = newCertFileLoader(s.cfg.ProxyClientCertFile, s.cfg.ProxyClientKeyFile).get
	}
	agg.Aggregator = aggregator.New(aggregator.Config{
		APIServices:     s.stores[apiregistrationv1.SchemeGroupVersion.WithResource("apiservices")],
		Services:        getService,
		EndpointSlices:  listSlices,
		ResolveService:  webhook.ServiceHost(getService, listSlices, s.cfg.EnableAggregatorRouting),
		ProxyClientCert: proxyCert,
		Headers: aggregator.Headers{
			User: first(o.RequestHeaderUsernameHeaders), UID: first(o.RequestHeaderUIDHeaders),
			Group: first(o.RequestHeaderGroupHeaders), ExtraPrefix: first(o.RequestHeaderExtraHeaderPrefixes),
			Strip:         append(append(append([]string(nil), o.RequestHeaderUsernameHeaders...), o.RequestHeaderUIDHeaders...), o.RequestHeaderGroupHeaders...),
			StripPrefixes: append([]string(nil), o.RequestHeaderExtraHeaderPrefixes...),
		},
		ProbeInterval:    s.cfg.APIServiceProbeInterval,
		PublishDiscovery: disc.SetRemote,
		Stop:             agg.stop,
		Availability:     s.unavailableAPIServices(),
	})
	return agg
}

func first(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// certFileLoader serves a certificate pair from disk, read again when either
// file's modification time changes, so a rotated proxy certificate is picked up.
type certFileLoader struct {
	certFile, keyFile string

	mu              sync.Mutex // guards the fields below
	certMod, keyMod time.Time
	cert            *tls.Certificate
}

func newCertFileLoader(certFile, keyFile string) *certFileLoader {
	return &certFileLoader{certFile: certFile, keyFile: keyFile}
}

func (l *certFileLoader) get() (*tls.Certificate, error) {
	certInfo, err := os.Stat(l.certFile)
	if err != nil {
		return nil, err
	}
	keyInfo, err := os.Stat(l.keyFile)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cert != nil && certInfo.ModTime().Equal(l.certMod) && keyInfo.ModTime().Equal(l.keyMod) {
		return l.cert, nil
	}
	pair, err := tls.LoadX509KeyPair(l.certFile, l.keyFile)
	if err != nil {
		if l.cert != nil {
			return l.cert, nil // a rotation half-written: keep the last good pair
		}
		return nil, err
	}
	l.cert, l.certMod, l.keyMod = &pair, certInfo.ModTime(), keyInfo.ModTime()
	return l.cert, nil
}

// aggregatedHandler puts the aggregator in front of the mux.
func (s *Server) aggregatedHandler(mux http.Handler) http.Handler {
	if s.aggregation == nil {
		return mux
	}
	return s.aggregation.Handler(mux)
}
