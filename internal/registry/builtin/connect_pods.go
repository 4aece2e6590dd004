package builtin

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/proxy"
	"github.com/kapi-dev/kapi/internal/registry"
)

// podConnectSubresources are pods/log, exec, attach, portforward and proxy.
func podConnectSubresources(deps Deps) []registry.Subresource {
	c := newConnector(deps)
	gv := corev1.SchemeGroupVersion
	return []registry.Subresource{
		{Name: "attach", Kind: gv.WithKind("PodAttachOptions"), Verbs: []string{"create", "get"},
			ConnectMethods: upgradeMethods, Connect: c.attach},
		{Name: "exec", Kind: gv.WithKind("PodExecOptions"), Verbs: []string{"create", "get"},
			ConnectMethods: upgradeMethods, Connect: c.exec},
		{Name: "log", Kind: gv.WithKind("Pod"), Verbs: []string{"get"},
			ConnectMethods: []string{"GET"}, Connect: c.log, OptionsKind: gv.WithKind("PodLogOptions")},
		{Name: "portforward", Kind: gv.WithKind("PodPortForwardOptions"), Verbs: []string{"create", "get"},
			ConnectMethods: upgradeMethods, Connect: c.portForward},
		{Name: "proxy", Kind: gv.WithKind("PodProxyOptions"), Verbs: proxyVerbs,
			ConnectMethods: proxyMethods, Connect: c.podProxy, Subpaths: true},
	}
}

// validateLogOptions checks PodLogOptions as upstream does with the
// PodLogsQuerySplitStreams gate off (its default): stream may not be given.
func validateLogOptions(o *corev1.PodLogOptions) field.ErrorList {
	var errs field.ErrorList
	if o.TailLines != nil && *o.TailLines < 0 {
		errs = append(errs, field.Invalid(field.NewPath("tailLines"), *o.TailLines, "must be greater than or equal to 0"))
	}
	if o.LimitBytes != nil && *o.LimitBytes < 1 {
		errs = append(errs, field.Invalid(field.NewPath("limitBytes"), *o.LimitBytes, "must be greater than 0"))
	}
	switch {
	case o.SinceSeconds != nil && o.SinceTime != nil:
		errs = append(errs, field.Forbidden(field.NewPath(""), "at most one of `sinceTime` or `sinceSeconds` may be specified"))
	case o.SinceSeconds != nil && *o.SinceSeconds < 1:
		errs = append(errs, field.Invalid(field.NewPath("sinceSeconds"), *o.SinceSeconds, "must be greater than 0"))
	}
	if o.Stream != nil {
		errs = append(errs, field.Forbidden(field.NewPath("stream"), "may not be specified"))
	}
	return errs
}

// podContainer picks the container a request is about: the one named, or the only
// one; upstream's messages otherwise.
func podContainer(pod *corev1.Pod, name string) (string, error) {
	all := podContainerNames(pod)
	if name == "" {
		switch len(pod.Spec.Containers) {
		case 1:
			return pod.Spec.Containers[0].Name, nil
		case 0:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s", pod.Name))
		default:
			return "", apierrors.NewBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: %s", pod.Name, all))
		}
	}
	for _, c := range all {
		if c == name {
			return name, nil
		}
	}
	return "", apierrors.NewBadRequest(fmt.Sprintf("container %s is not valid for pod %s", name, pod.Name))
}

// podContainerNames lists init, regular and ephemeral containers, in that order.
func podContainerNames(pod *corev1.Pod) []string {
	var names []string
	for _, c := range pod.Spec.InitContainers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.Containers {
		names = append(names, c.Name)
	}
	for _, c := range pod.Spec.EphemeralContainers {
		names = append(names, c.Name)
	}
	return names
}

// kubeletURL is a kubelet endpoint of conn.
func kubeletURL(conn *proxy.Connection, path string, query url.Values) *url.URL {
	return &url.URL{Scheme: conn.Scheme, Host: net.JoinHostPort(conn.Host, conn.Port), Path: path, RawQuery: query.Encode()}
}

// log streams the kubelet's containerLogs.
func (c *connector) log(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	opts, err := decodeLogOptions(req.Query)
	if err != nil {
		return nil, err
	}
	if errs := validateLogOptions(opts); len(errs) > 0 {
		return nil, apierrors.NewInvalid(corev1.SchemeGroupVersion.WithKind("PodLogOptions").GroupKind(), req.Name, errs)
	}
	pod, err := c.pod(ctx, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	container, err := podContainer(pod, opts.Container)
	if err != nil {
		return nil, err
	}
	if pod.Spec.NodeName == "" {
		// Nothing ran yet: upstream answers with no content.
		return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }), nil
	}
	conn, err := c.nodeConnection(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	for _, p := range []struct {
		key string
		on  bool
	}{{"follow", opts.Follow}, {"previous", opts.Previous}, {"timestamps", opts.Timestamps}} {
		if p.on {
			q.Add(p.key, "true")
		}
	}
	for _, p := range []struct {
		key string
		v   *int64
	}{{"sinceSeconds", opts.SinceSeconds}, {"tailLines", opts.TailLines}, {"limitBytes", opts.LimitBytes}} {
		if p.v != nil {
			q.Add(p.key, strconv.FormatInt(*p.v, 10))
		}
	}
	if opts.SinceTime != nil {
		q.Add("sinceTime", opts.SinceTime.UTC().Format("2006-01-02T15:04:05Z07:00"))
	}
	loc := kubeletURL(conn, fmt.Sprintf("/containerLogs/%s/%s/%s", pod.Namespace, pod.Name, container), q)
	rt := conn.Transport
	if opts.InsecureSkipTLSVerifyBackend {
		rt = conn.InsecureTransport
	}
	name := req.Name
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := proxy.WithStop(r.Context(), req.Stop)
		defer cancel()
		resp, err := proxy.Get(ctx, rt, loc, func(code int, body string) error {
			return backendError(code, body, name)
		})
		if err != nil {
			if ctx.Err() == nil {
				req.Error(w, r, asAPIError(err))
			}
			return
		}
		defer resp.Body.Close()
		proxy.CopyStream(w, resp.Body, "text/plain", opts.Follow)
	}), nil
}

// backendError turns a kubelet's failed answer into the API error upstream gives.
func backendError(code int, body, name string) error {
	switch code {
	case http.StatusInternalServerError:
		return apierrors.NewInternalError(fmt.Errorf("%s", body))
	case http.StatusBadRequest:
		return apierrors.NewBadRequest(body)
	}
	return apierrors.NewGenericServerResponse(code, "", corev1.Resource("pods/log"), name, body, 0, false)
}

// asAPIError keeps API errors and makes others an internal error.
func asAPIError(err error) error {
	if _, ok := err.(apierrors.APIStatus); ok {
		return err
	}
	return apierrors.NewInternalError(err)
}

func (c *connector) exec(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	return c.stream(ctx, req, "exec", true)
}

func (c *connector) attach(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	return c.stream(ctx, req, "attach", false)
}

// stream proxies exec or attach to the kubelet's /exec or /attach of the container.
func (c *connector) stream(ctx context.Context, req registry.ConnectRequest, kind string, withCommand bool) (http.Handler, error) {
	if err := c.authorizeCreate(ctx); err != nil {
		return nil, err
	}
	opts, err := decodeExecOptions(req.Query, withCommand)
	if err != nil {
		return nil, err
	}
	pod, err := c.pod(ctx, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	container, err := podContainer(pod, opts.container)
	if err != nil {
		return nil, err
	}
	return c.kubeletStream(ctx, req, pod, fmt.Sprintf("/%s/%s/%s/%s", kind, pod.Namespace, pod.Name, container), opts.query)
}

func (c *connector) portForward(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	if err := c.authorizeCreate(ctx); err != nil {
		return nil, err
	}
	opts, err := decodePortForwardOptions(req.Query)
	if err != nil {
		return nil, err
	}
	pod, err := c.pod(ctx, req.Namespace, req.Name)
	if err != nil {
		return nil, err
	}
	return c.kubeletStream(ctx, req, pod, fmt.Sprintf("/portForward/%s/%s", pod.Namespace, pod.Name), opts.query)
}

// kubeletStream is the upgrade-only proxy to the kubelet of pod's node.
func (c *connector) kubeletStream(ctx context.Context, req registry.ConnectRequest, pod *corev1.Pod, path string, query url.Values) (http.Handler, error) {
	if pod.Spec.NodeName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("pod %s does not have a host assigned", pod.Name))
	}
	conn, err := c.nodeConnection(ctx, pod.Spec.NodeName)
	if err != nil {
		return nil, err
	}
	return &proxy.Handler{
		Location:         kubeletURL(conn, path, query),
		Transport:        conn.Transport,
		UpgradeTransport: conn.UpgradeTransport,
		UpgradeRequired:  true,
		Stop:             req.Stop,
		MaxBytesPerSec:   req.MaxBytesPerSec,
		Error:            req.Error,
	}, nil
}

// podProxy proxies to the pod's IP, on the port named or the first declared one.
func (c *connector) podProxy(ctx context.Context, req registry.ConnectRequest) (http.Handler, error) {
	scheme, name, port, ok := proxy.SplitSchemeNamePort(req.Name)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("invalid pod request %q", req.Name))
	}
	pod, err := c.pod(ctx, req.Namespace, name)
	if err != nil {
		return nil, err
	}
	if port == "" {
		for _, ctr := range pod.Spec.Containers {
			if len(ctr.Ports) > 0 {
				port = strconv.Itoa(int(ctr.Ports[0].ContainerPort))
				break
			}
		}
	}
	ip := pod.Status.PodIP
	if len(pod.Status.PodIPs) > 0 {
		ip = pod.Status.PodIPs[0].IP
	}
	if !proxy.ProxyableIP(net.ParseIP(ip)) {
		return nil, apierrors.NewBadRequest("address not allowed")
	}
	loc := &url.URL{Scheme: scheme, Host: proxy.HostPort(ip, port), Path: proxy.JoinPath("", req.Path)}
	return c.backendProxy(loc, req), nil
}

// backendProxy proxies to a pod or service endpoint with the proxy rewriting.
func (c *connector) backendProxy(loc *url.URL, req registry.ConnectRequest) http.Handler {
	return &proxy.Handler{
		Location: loc, Transport: c.backend, UpgradeTransport: c.backendOnce,
		Rewrite: true, Stop: req.Stop, MaxBytesPerSec: req.MaxBytesPerSec, Error: req.Error,
	}
}
