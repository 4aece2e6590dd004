package pki

import (
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// FrontProxyClientName is the common name of the generated proxy client
// certificate, the one --requestheader-allowed-names accepts.
const FrontProxyClientName = "front-proxy-client"

// FrontProxy is the PKI of the authenticating proxy the aggregator is: a CA of its
// own (extension servers trust only it for identity headers) and the client
// certificate the aggregator presents to them.
type FrontProxy struct {
	CACertFile, ClientCertFile, ClientKeyFile string
}

// EnsureFrontProxy creates front-proxy-ca.{crt,key} and front-proxy-client.{crt,key}
// in dir (kubeadm's names) or reuses them, reissuing the client certificate like
// every leaf when it is stale.
func EnsureFrontProxy(dir string) (*FrontProxy, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	fp := &FrontProxy{CACertFile: p("front-proxy-ca.crt"), ClientCertFile: p("front-proxy-client.crt"), ClientKeyFile: p("front-proxy-client.key")}
	now := time.Now()
	ca, key, err := ensureCA(fp.CACertFile, p("front-proxy-ca.key"), now)
	if err != nil {
		return nil, fmt.Errorf("pki: front proxy CA: %w", err)
	}
	spec := leafSpec{commonName: FrontProxyClientName, usage: x509.ExtKeyUsageClientAuth}
	if _, err := ensureLeaf(fp.ClientCertFile, fp.ClientKeyFile, spec, signer{cert: ca, key: key}, now); err != nil {
		return nil, fmt.Errorf("pki: front proxy client certificate: %w", err)
	}
	return fp, nil
}
