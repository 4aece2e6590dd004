package main

import (
	"fmt"
	"net"
	"time"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

const (
	protobufContentType = "application/vnd.kubernetes.protobuf"
	jsonContentType     = "application/json"
)

// loadConfig reads a kubeconfig file, or with an empty path the usual client-go
// lookup ($KUBECONFIG, then ~/.kube/config).
func loadConfig(path string) (*rest.Config, error) {
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if path != "" {
		rules.ExplicitPath = path
	}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("loading the kubeconfig: %w", err)
	}
	return cfg, nil
}

// clientConfig copies base for one client of the load: no client-side rate limit
// (QPS < 0 turns it off, so the server is what is measured), its own connection
// pool (a Dial of its own keeps client-go from sharing the cached transport), and
// protobuf or JSON on the wire as asked. JSON is set explicitly: client-go's typed
// clients switch to protobuf for built-in kinds when no content type is set.
// timeout 0 is for watches, which live long.
func clientConfig(base *rest.Config, protobuf bool, timeout time.Duration) *rest.Config {
	cfg := rest.CopyConfig(base)
	cfg.QPS, cfg.Burst = -1, 0
	cfg.Timeout = timeout
	cfg.UserAgent = "kapi-load"
	if protobuf {
		cfg.ContentType = protobufContentType
		cfg.AcceptContentTypes = protobufContentType + ",application/json"
	} else {
		cfg.ContentType = jsonContentType
		cfg.AcceptContentTypes = jsonContentType
	}
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	cfg.Dial = dialer.DialContext
	return cfg
}

// newClientset is a typed clientset over clientConfig.
func newClientset(base *rest.Config, protobuf bool, timeout time.Duration) (*kubernetes.Clientset, error) {
	return kubernetes.NewForConfig(clientConfig(base, protobuf, timeout))
}

// newClientsets returns n clientsets, each on its own connections.
func newClientsets(base *rest.Config, n int, protobuf bool, timeout time.Duration) ([]*kubernetes.Clientset, error) {
	out := make([]*kubernetes.Clientset, n)
	for i := range out {
		cs, err := newClientset(base, protobuf, timeout)
		if err != nil {
			return nil, err
		}
		out[i] = cs
	}
	return out, nil
}

// newDynamic is a dynamic client (JSON) for CustomResourceDefinitions, which have no
// typed clientset among the libraries kapi uses.
func newDynamic(base *rest.Config, timeout time.Duration) (*dynamic.DynamicClient, error) {
	return dynamic.NewForConfig(clientConfig(base, false, timeout))
}
