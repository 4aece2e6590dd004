package proxy

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// DefaultKubeletPort is the kubelet port used when a node reports none.
const DefaultKubeletPort = 10250

// maxResponseHeaderBytes bounds the headers a backend may send back.
const maxResponseHeaderBytes = 256 << 10

// DefaultPreferredAddressTypes is upstream's --kubelet-preferred-address-types
// default: the hostname first, then internal, then external addresses.
var DefaultPreferredAddressTypes = []corev1.NodeAddressType{
	corev1.NodeHostName, corev1.NodeInternalDNS, corev1.NodeInternalIP, corev1.NodeExternalDNS, corev1.NodeExternalIP,
}

// KubeletConfig is how the API server reaches kubelets (the --kubelet-* flags).
type KubeletConfig struct {
	// CertFile and KeyFile are the client certificate presented to kubelets; they are
	// re-read on every new connection so that rotation needs no restart.
	CertFile, KeyFile string
	// CAFile verifies kubelets' serving certificates. Without it, as upstream, the
	// kubelet's certificate is not verified.
	CAFile string
	// PreferredAddressTypes is the order node addresses are tried in.
	PreferredAddressTypes []corev1.NodeAddressType
	// Timeout bounds dialing and the TLS handshake (--kubelet-timeout).
	Timeout time.Duration
}

// Kubelet connects to nodes' kubelets. It is safe for concurrent use.
type Kubelet struct {
	cfg KubeletConfig
	tls *tls.Config
	// transport serves ordinary requests (logs, nodes/proxy); insecure is the same
	// without certificate verification, for pods/log's insecureSkipTLSVerifyBackend.
	transport, insecure *http.Transport
}

// NewKubelet checks cfg and builds the client.
func NewKubelet(cfg KubeletConfig) (*Kubelet, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 5 * time.Second
	}
	if len(cfg.PreferredAddressTypes) == 0 {
		cfg.PreferredAddressTypes = DefaultPreferredAddressTypes
	}
	if (cfg.CertFile == "") != (cfg.KeyFile == "") {
		return nil, errors.New("--kubelet-client-certificate and --kubelet-client-key must be given together")
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.CertFile != "" {
		if _, err := tls.LoadX509KeyPair(cfg.CertFile, cfg.KeyFile); err != nil {
			return nil, fmt.Errorf("kubelet client certificate: %w", err)
		}
		certFile, keyFile := cfg.CertFile, cfg.KeyFile
		tlsCfg.GetClientCertificate = func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
			cert, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, err
			}
			return &cert, nil
		}
	}
	if cfg.CAFile != "" {
		pem, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("--kubelet-certificate-authority: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--kubelet-certificate-authority %s holds no certificate", cfg.CAFile)
		}
		tlsCfg.RootCAs = pool
	} else {
		tlsCfg.InsecureSkipVerify = true
	}
	insecureCfg := tlsCfg.Clone()
	insecureCfg.InsecureSkipVerify = true
	k := &Kubelet{cfg: cfg, tls: tlsCfg}
	k.transport = k.newTransport(tlsCfg, false)
	k.insecure = k.newTransport(insecureCfg, false)
	return k, nil
}

// newTransport returns a transport to kubelets. once makes it single-use: upgraded
// streams get their own connection, never one shared with another user's request.
func (k *Kubelet) newTransport(tlsCfg *tls.Config, once bool) *http.Transport {
	dialer := &net.Dialer{Timeout: k.cfg.Timeout, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        tlsCfg.Clone(),
		TLSHandshakeTimeout:    k.cfg.Timeout,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		DisableKeepAlives:      once,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConnsPerHost:    25,
	}
}

// Connection is how to reach one node's kubelet.
type Connection struct {
	Scheme string
	Host   string // the node address chosen by the preferred address types
	Port   string
	// Transport serves ordinary requests; InsecureTransport skips verification.
	Transport, InsecureTransport http.RoundTripper
	// UpgradeTransport returns a fresh single-connection transport for an upgraded
	// stream (exec, attach, portforward).
	UpgradeTransport func() http.RoundTripper
}

// NoAddressError is returned for a node with none of the preferred address types.
type NoAddressError struct{ Addresses []corev1.NodeAddress }

func (e *NoAddressError) Error() string {
	return fmt.Sprintf("no preferred addresses found; known addresses: %v", e.Addresses)
}

// Connection returns how to reach node's kubelet: the first address of the preferred
// types and the port the kubelet reports.
func (k *Kubelet) Connection(node *corev1.Node) (*Connection, error) {
	host := ""
	for _, t := range k.cfg.PreferredAddressTypes {
		for _, a := range node.Status.Addresses {
			if a.Type == t && host == "" {
				host = a.Address
			}
		}
	}
	if host == "" {
		return nil, &NoAddressError{Addresses: node.Status.Addresses}
	}
	port := int(node.Status.DaemonEndpoints.KubeletEndpoint.Port)
	if port <= 0 {
		port = DefaultKubeletPort
	}
	return &Connection{
		Scheme: "https", Host: host, Port: strconv.Itoa(port),
		Transport: k.transport, InsecureTransport: k.insecure,
		UpgradeTransport: func() http.RoundTripper { return k.newTransport(k.tls, true) },
	}, nil
}

// CheckProxyableHost resolves host and refuses it unless every address is global
// unicast, as upstream does before nodes/proxy.
func CheckProxyableHost(ctx context.Context, host string) error {
	addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
	if err != nil {
		return err
	}
	if len(addrs) == 0 {
		return errors.New("no addresses for hostname")
	}
	for _, a := range addrs {
		if !ProxyableIP(a.IP) {
			return errors.New("address not allowed")
		}
	}
	return nil
}

// Close drops idle kubelet connections.
func (k *Kubelet) Close() {
	k.transport.CloseIdleConnections()
	k.insecure.CloseIdleConnections()
}
