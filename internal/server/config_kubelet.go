package server

import (
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kapi-dev/kapi/internal/proxy"
)

// KubeletOptions are kube-apiserver's --kubelet-* flags: how pods/log, exec,
// attach, portforward and nodes/proxy reach kubelets.
type KubeletOptions struct {
	// KubeletClientCertificate and KubeletClientKey are the client certificate
	// presented to kubelets.
	KubeletClientCertificate string
	KubeletClientKey         string
	// KubeletCertificateAuthority verifies kubelets' serving certificates; without
	// it, as upstream, they are not verified.
	KubeletCertificateAuthority string
	// KubeletPreferredAddressTypes is the order node addresses are tried in; empty
	// means upstream's Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP.
	KubeletPreferredAddressTypes []string
	// KubeletTimeout bounds connecting to a kubelet; zero means 5s.
	KubeletTimeout time.Duration
}

// newKubelet builds the kubelet client from the options.
func (o *KubeletOptions) newKubelet() (*proxy.Kubelet, error) {
	types := proxy.DefaultPreferredAddressTypes
	if len(o.KubeletPreferredAddressTypes) > 0 {
		types = nil
		for _, t := range o.KubeletPreferredAddressTypes {
			if !slices.Contains(proxy.DefaultPreferredAddressTypes, corev1.NodeAddressType(t)) {
				return nil, fmt.Errorf("--kubelet-preferred-address-types: unknown address type %q", t)
			}
			types = append(types, corev1.NodeAddressType(t))
		}
	}
	return proxy.NewKubelet(proxy.KubeletConfig{
		CertFile:              o.KubeletClientCertificate,
		KeyFile:               o.KubeletClientKey,
		CAFile:                o.KubeletCertificateAuthority,
		PreferredAddressTypes: types,
		Timeout:               o.KubeletTimeout,
	})
}
