package aggregator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

// The identity the availability checks and document fetches use, as upstream.
var checkUser = &request.User{Name: "system:kube-aggregator", Groups: []string{"system:masters"}}

const (
	checkTimeout  = 5 * time.Second
	checkAttempts = 3
	// maxDocument bounds what is read of an extension server's answers.
	maxDocument = 32 << 20
)

var apiServiceResource = schema.GroupResource{Group: apiregistrationv1.GroupName, Resource: "apiservices"}

// check sets the Available condition of one remote APIService, with upstream's
// reasons and messages, and records what its discovery check fetched.
func (a *Aggregator) check(ctx context.Context, name string) error {
	obj, err := a.cfg.APIServices.Get(ctx, "", name, &metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		a.reportAvailability(name, nil)
		return nil
	}
	if err != nil {
		return err
	}
	svc := obj.(*apiregistrationv1.APIService)
	if svc.Spec.Service == nil {
		return nil
	}
	gv := schema.GroupVersion{Group: svc.Spec.Group, Version: svc.Spec.Version}
	cond, f, checkErr := a.evaluate(ctx, svc)
	a.setFetched(gv, f)
	available := cond.Status == apiregistrationv1.ConditionTrue
	a.reportAvailability(name, &available)
	if err := a.setAvailable(ctx, name, cond); err != nil {
		return err
	}
	if checkErr != nil {
		// Retried with backoff until the resync comes round, as upstream requeues.
		slog.Debug("APIService check failed", "apiservice", name, "err", checkErr)
	}
	return nil
}

func (a *Aggregator) reportAvailability(name string, available *bool) {
	if a.cfg.Availability != nil {
		a.cfg.Availability(name, available)
	}
}

// evaluate runs the checks in upstream's order: the Service, its port, its
// endpoints (for ClusterIP Services), then a discovery request to the extension
// server. A failed discovery request is returned as an error too.
func (a *Aggregator) evaluate(ctx context.Context, svc *apiregistrationv1.APIService) (apiregistrationv1.APIServiceCondition, *fetched, error) {
	ref := svc.Spec.Service
	port := int32(443)
	if ref.Port != nil {
		port = *ref.Port
	}
	cond := func(status apiregistrationv1.ConditionStatus, reason, msg string) apiregistrationv1.APIServiceCondition {
		return apiregistrationv1.APIServiceCondition{Type: apiregistrationv1.Available, Status: status, Reason: reason, Message: msg}
	}
	service, err := a.cfg.Services(ctx, ref.Namespace, ref.Name)
	if apierrors.IsNotFound(err) {
		return cond(apiregistrationv1.ConditionFalse, "ServiceNotFound", fmt.Sprintf("service/%s in %q is not present", ref.Name, ref.Namespace)), nil, nil
	}
	if err != nil {
		return cond(apiregistrationv1.ConditionUnknown, "ServiceAccessError", fmt.Sprintf("service/%s in %q cannot be checked due to: %v", ref.Name, ref.Namespace, err)), nil, nil
	}
	if service.Spec.Type == corev1.ServiceTypeClusterIP || service.Spec.Type == "" {
		i := slices.IndexFunc(service.Spec.Ports, func(p corev1.ServicePort) bool { return p.Port == port })
		if i < 0 {
			return cond(apiregistrationv1.ConditionFalse, "ServicePortError", fmt.Sprintf("service/%s in %q is not listening on port %d", ref.Name, ref.Namespace, port)), nil, nil
		}
		portName := service.Spec.Ports[i].Name
		slices, err := a.cfg.EndpointSlices(ctx, ref.Namespace, ref.Name)
		if err != nil {
			return cond(apiregistrationv1.ConditionUnknown, "EndpointsAccessError", fmt.Sprintf("service/%s in %q cannot be checked due to: %v", ref.Name, ref.Namespace, err)), nil, nil
		}
		if len(slices) == 0 {
			return cond(apiregistrationv1.ConditionFalse, "EndpointsNotFound", fmt.Sprintf("cannot find endpointslices for service/%s in %q", ref.Name, ref.Namespace)), nil, nil
		}
		if !hasReadyEndpoint(portName, slices) {
			return cond(apiregistrationv1.ConditionFalse, "MissingEndpoints", fmt.Sprintf("endpointslices for service/%s in %q have no addresses with port name %q", ref.Name, ref.Namespace, portName)), nil, nil
		}
	}
	f, err := a.fetch(ctx, svc, port)
	if err != nil {
		return cond(apiregistrationv1.ConditionFalse, "FailedDiscoveryCheck", err.Error()), nil, err
	}
	return cond(apiregistrationv1.ConditionTrue, "Passed", "all checks passed"), f, nil
}

// hasReadyEndpoint reports whether a slice has a ready endpoint and the named port.
func hasReadyEndpoint(portName string, list []discoveryv1.EndpointSlice) bool {
	return slices.ContainsFunc(list, func(s discoveryv1.EndpointSlice) bool {
		ready := slices.ContainsFunc(s.Endpoints, func(e discoveryv1.Endpoint) bool {
			return e.Conditions.Ready == nil || *e.Conditions.Ready
		})
		return ready && slices.ContainsFunc(s.Ports, func(p discoveryv1.EndpointPort) bool {
			return p.Name != nil && *p.Name == portName && p.Port != nil
		})
	})
}

// fetch asks the extension server for its group version document (the discovery
// check), trying a few times, then for its OpenAPI v3 document of that group
// version and its OpenAPI v2 document, which it need not serve.
func (a *Aggregator) fetch(ctx context.Context, svc *apiregistrationv1.APIService, port int32) (*fetched, error) {
	tlsCfg, err := a.tlsConfigFor(svc)
	if err != nil {
		return nil, err
	}
	tr := newTransport(tlsCfg, false)
	defer tr.CloseIdleConnections()
	client := &http.Client{
		Transport:     tr,
		Timeout:       checkTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	ref := svc.Spec.Service
	var lastErr error
	for attempt := range checkAttempts {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
		host, err := a.cfg.ResolveService(ctx, ref.Namespace, ref.Name, port)
		if err != nil {
			lastErr = err
			continue
		}
		loc := &url.URL{Scheme: "https", Host: host, Path: "/apis/" + svc.Spec.Group + "/" + svc.Spec.Version}
		body, err := a.get(ctx, client, loc)
		if err != nil {
			lastErr = fmt.Errorf("failing or missing response from %s: %w", loc, err)
			continue
		}
		list := &metav1.APIResourceList{}
		if err := json.Unmarshal(body, list); err != nil {
			// Upstream only checks the status; an undecodable list just lists no resources.
			list = &metav1.APIResourceList{GroupVersion: svc.Spec.Group + "/" + svc.Spec.Version}
		}
		f := &fetched{resources: list}
		loc.Path = "/openapi/v3/apis/" + svc.Spec.Group + "/" + svc.Spec.Version
		if doc, err := a.get(ctx, client, loc); err == nil && json.Valid(doc) {
			f.openAPI = doc
		}
		loc.Path = "/openapi/v2"
		if doc, err := a.get(ctx, client, loc); err == nil {
			f.openAPIV2 = parseRemoteV2(doc, svc.Spec.Group, svc.Spec.Version)
		}
		return f, nil
	}
	return nil, lastErr
}

// get fetches loc as the aggregator and returns the body of a 2xx answer.
func (a *Aggregator) get(ctx context.Context, client *http.Client, loc *url.URL) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", runtime.ContentTypeJSON)
	a.headers.setIdentity(req.Header, checkUser)
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxDocument))
		return nil, fmt.Errorf("bad status from %s: %d", loc, resp.StatusCode)
	}
	return io.ReadAll(io.LimitReader(resp.Body, maxDocument))
}

// setAvailable writes cond through the status subresource when it changed; the
// transition time moves only when the status does.
func (a *Aggregator) setAvailable(ctx context.Context, name string, cond apiregistrationv1.APIServiceCondition) error {
	obj, err := a.cfg.APIServices.Get(ctx, "", name, &metav1.GetOptions{})
	if err != nil {
		return client404(err)
	}
	if current := availableCondition(obj.(*apiregistrationv1.APIService)); current != nil &&
		current.Status == cond.Status && current.Reason == cond.Reason && current.Message == cond.Message {
		return nil
	}
	_, _, err = a.cfg.APIServices.Update(ctx, "", name, "status", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(apiServiceResource, name)
		}
		svc := current.(*apiregistrationv1.APIService).DeepCopy()
		c := cond
		c.LastTransitionTime = metav1.Now()
		if old := availableCondition(svc); old != nil {
			if old.Status == c.Status {
				c.LastTransitionTime = old.LastTransitionTime
			}
			*old = c
		} else {
			svc.Status.Conditions = append(svc.Status.Conditions, c)
		}
		return svc, nil
	}, nil, nil, false, false)
	return client404(err)
}

// client404 drops NotFound: an APIService deleted during its check needs none.
func client404(err error) error {
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

func availableCondition(svc *apiregistrationv1.APIService) *apiregistrationv1.APIServiceCondition {
	for i := range svc.Status.Conditions {
		if svc.Status.Conditions[i].Type == apiregistrationv1.Available {
			return &svc.Status.Conditions[i]
		}
	}
	return nil
}
