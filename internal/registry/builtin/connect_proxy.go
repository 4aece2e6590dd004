package builtin

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/proxy"
	"github.com/kapi-dev/kapi/internal/registry"
)

// nodeProxySubresource is nodes/proxy: the node's kubelet, or another port of the
// node.
func nodeProxySubresource(deps Deps) registry.Subresource {
	c := newConnector(deps)
	return registry.Subresource{Name: "proxy", Kind: corev1.SchemeGroupVersion.WithKind("NodeProxyOptions"),
		Verbs: proxyVerbs, ConnectMethods: proxyMethods, Connect: c.nodeProxy, Subpaths: true}
}

// serviceProxySubresource is services/proxy: a ready endpoint of the service.
func serviceProxySubresource(deps Deps) registry.Subresource {
	c := newConnector(deps)
	return registry.Subresource{Name: "proxy", Kind: corev1.SchemeGroupVersion.WithKind("ServiceProxyOptions"),
		Verbs: proxyVerbs, ConnectMethods: proxyMethods, Connect: c.serviceProxy, Subpaths: true}
}

func (c *connector) nodeProxy(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	scheme, name, port, ok := proxy.SplitSchemeNamePort(req.Name)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid node request %q", req.Name))
	}
	conn, err := c.nodeConnection(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := proxy.CheckProxyableHost(ctx, conn.Host); err != nil {
		return nil, apierrors.NewBadRequest(err.Error())
	}
	h := &proxy.Handler{Rewrite: true, Stop: req.Stop, MaxBytesPerSec: req.MaxBytesPerSec, Error: req.Error}
	if port == "" || port == conn.Port {
		// The kubelet itself, with the kubelet client's credentials.
		h.Location = &url.URL{Scheme: conn.Scheme, Host: net.JoinHostPort(conn.Host, conn.Port)}
		h.Transport, h.UpgradeTransport = conn.Transport, conn.UpgradeTransport
	} else {
		h.Location = &url.URL{Scheme: scheme, Host: net.JoinHostPort(conn.Host, port)}
		h.Transport, h.UpgradeTransport = c.backend, c.backendOnce
	}
	h.Location.Path = proxy.JoinPath(h.Location.Path, req.Path)
	return h, nil
}

func (c *connector) serviceProxy(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	scheme, name, port, ok := proxy.SplitSchemeNamePort(req.Name)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid service request %q", req.Name))
	}
	// A port number stands for the service port that declares it, by name.
	if num, err := strconv.ParseInt(port, 10, 64); err == nil {
		obj, err := c.deps.Stores(servicesGVR).Get(ctx, req.Namespace, name, &metav1.GetOptions{})
		if err != nil {
			return nil, err
		}
		found := false
		for _, sp := range obj.(*corev1.Service).Spec.Ports {
			if int64(sp.Port) == num {
				port, found = sp.Name, true
				break
			}
		}
		if !found {
			return nil, apierrors.NewServiceUnavailable(fmt.Sprintf("no service port %d found for service %q", num, name))
		}
	}
	hostPort, err := c.serviceEndpoint(ctx, req.Namespace, name, port)
	if err != nil {
		return nil, err
	}
	loc := &url.URL{Scheme: scheme, Host: hostPort, Path: proxy.JoinPath("", req.Path)}
	return c.backendProxy(loc, req), nil
}

// serviceEndpoint picks, at random, a ready endpoint serving portName among the
// service's EndpointSlices whose address is the IP of the pod it names: only pods
// may be reached through a service.
func (c *connector) serviceEndpoint(ctx context.Context, ns, svc, portName string) (string, error) {
	noEndpoints := apierrors.NewServiceUnavailable(fmt.Sprintf("no endpoints available for service %q", svc))
	store := c.deps.Stores(endpointSlicesGVR)
	if store == nil {
		return "", noEndpoints
	}
	obj, err := store.List(ctx, ns, &metav1.ListOptions{LabelSelector: discoveryv1.LabelServiceName + "=" + svc})
	if err != nil {
		return "", apierrors.NewInternalError(err)
	}
	slices := obj.(*discoveryv1.EndpointSliceList).Items
	rand.Shuffle(len(slices), func(i, j int) { slices[i], slices[j] = slices[j], slices[i] })
	for _, slice := range slices {
		for _, p := range slice.Ports {
			if p.Name == nil || *p.Name != portName || p.Port == nil || len(slice.Endpoints) == 0 {
				continue
			}
			offset := rand.IntN(len(slice.Endpoints))
			for i := range slice.Endpoints {
				ep := &slice.Endpoints[(i+offset)%len(slice.Endpoints)]
				if ep.Conditions.Ready != nil && !*ep.Conditions.Ready {
					continue
				}
				if len(ep.Addresses) == 0 || !c.isPodEndpoint(ctx, ns, ep) {
					continue
				}
				return net.JoinHostPort(ep.Addresses[0], strconv.Itoa(int(*p.Port))), nil
			}
		}
	}
	return "", noEndpoints
}

// isPodEndpoint reports whether ep names a pod of ns that has the endpoint's IP.
func (c *connector) isPodEndpoint(ctx context.Context, ns string, ep *discoveryv1.Endpoint) bool {
	if ep.TargetRef == nil || ep.TargetRef.Namespace != ns {
		return false
	}
	pod, err := c.pod(ctx, ns, ep.TargetRef.Name)
	if err != nil {
		return false
	}
	for _, ip := range pod.Status.PodIPs {
		if ip.IP == ep.Addresses[0] {
			return true
		}
	}
	return false
}
