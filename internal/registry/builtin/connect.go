package builtin

import (
	"context"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/proxy"
	"github.com/kapi-dev/kapi/internal/request"
)

// proxyMethods are the methods the proxy subresources pass on, as upstream.
var proxyMethods = []string{"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}

// proxyVerbs are the proxy subresources' discovery verbs.
var proxyVerbs = []string{"create", "delete", "get", "patch", "update"}

// upgradeMethods are exec's, attach's and portforward's: GET for WebSocket
// clients (browsers cannot POST an upgrade), POST for SPDY.
var upgradeMethods = []string{"GET", "POST"}

var (
	servicesGVR       = corev1.SchemeGroupVersion.WithResource("services")
	endpointSlicesGVR = discoveryv1.SchemeGroupVersion.WithResource("endpointslices")
)

// connector holds what the connect subresources share.
type connector struct {
	deps    Deps
	kubelet *proxy.Kubelet
	// backend reaches pods and services; backendOnce is a fresh single-use one
	// for each upgraded stream.
	backend     http.RoundTripper
	backendOnce func() http.RoundTripper
}

func newConnector(deps Deps) *connector {
	k := deps.Kubelet
	if k == nil {
		// Without --kubelet-* flags upstream still reaches kubelets, unverified.
		k, _ = proxy.NewKubelet(proxy.KubeletConfig{})
	}
	return &connector{
		deps: deps, kubelet: k,
		backend:     proxy.NewBackendTransport(false),
		backendOnce: func() http.RoundTripper { return proxy.NewBackendTransport(true) },
	}
}

func (c *connector) pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := c.deps.Stores(podsGVR).Get(ctx, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

// nodeConnection finds how to reach the kubelet of node name.
func (c *connector) nodeConnection(ctx context.Context, name string) (*proxy.Connection, error) {
	obj, err := c.deps.Stores(nodesGVR).Get(ctx, "", name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	conn, err := c.kubelet.Connection(obj.(*corev1.Node))
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	return conn, nil
}

// authorizeCreate asks again, with the verb create, for a GET (WebSocket) to exec,
// attach or portforward: upstream's AuthorizePodWebsocketUpgradeCreatePermission,
// on by default, so that "get pods/exec" alone does not let anyone run commands.
func (c *connector) authorizeCreate(ctx context.Context) error {
	info, ok := request.InfoFrom(ctx)
	if !ok || info.Verb == "create" || c.deps.Authorizer == nil {
		return nil
	}
	u, _ := request.UserFrom(ctx)
	asCreate := *info
	asCreate.Verb = "create"
	d, reason, err := c.deps.Authorizer.Authorize(ctx, authz.Attributes{User: u, Info: &asCreate})
	if d == authz.Allow {
		return nil
	}
	if err != nil && reason == "" {
		reason = err.Error()
	}
	return filters.Forbidden(u, &asCreate, reason)
}
