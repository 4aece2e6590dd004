package aggregator

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"time"

	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
)

// tlsConfigFor is how an extension server is reached: its certificate verified
// against the APIService's caBundle (or not at all with insecureSkipTLSVerify) for
// the name <service>.<namespace>.svc, the proxy's client certificate presented.
func (a *Aggregator) tlsConfigFor(svc *apiregistrationv1.APIService) (*tls.Config, error) {
	ref := svc.Spec.Service
	cfg := &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: ref.Name + "." + ref.Namespace + ".svc",
		// #nosec G402 -- the APIService asks for it explicitly, as upstream honours.
		InsecureSkipVerify: svc.Spec.InsecureSkipTLSVerify,
	}
	if len(svc.Spec.CABundle) > 0 && !svc.Spec.InsecureSkipTLSVerify {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(svc.Spec.CABundle) {
			return nil, fmt.Errorf("unable to load root certificates: unable to parse bytes as PEM block")
		}
		cfg.RootCAs = pool
	}
	if a.cfg.ProxyClientCert != nil {
		cfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := a.cfg.ProxyClientCert()
			if err != nil || cert == nil {
				// No certificate: the handshake goes on and the extension server decides.
				return &tls.Certificate{}, nil
			}
			return cert, nil
		}
	}
	return cfg, nil
}

// newTransport returns a transport over cfg. once makes it single-use: upgraded
// streams get a connection of their own, never shared with another user's.
func newTransport(cfg *tls.Config, once bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:         dialer.DialContext,
		TLSClientConfig:     cfg.Clone(),
		TLSHandshakeTimeout: 10 * time.Second,
		ForceAttemptHTTP2:   !once,
		DisableKeepAlives:   once,
		IdleConnTimeout:     90 * time.Second,
		MaxIdleConnsPerHost: 25,
	}
}
