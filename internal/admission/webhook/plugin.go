package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// AuthorizerFor returns the authorizer CEL checks use for the request in ctx; nil
// makes every check answer deny.
type AuthorizerFor func(ctx context.Context) celenv.AuthorizeFunc

// Config is what the webhook plugins need from the server.
type Config struct {
	Scheme *runtime.Scheme
	// Resources are the served resources (matchPolicy Equivalent).
	Resources []*registry.Resource
	// Configurations streams the MutatingWebhookConfigurations (for NewMutating) or
	// ValidatingWebhookConfigurations (for NewValidating).
	Configurations Source
	Namespaces     NamespaceGetter
	Services       ServiceGetter
	EndpointSlices EndpointSliceLister
	// AggregatorRouting sends service webhooks to an endpoint rather than the
	// service's cluster IP (--enable-aggregator-routing).
	AggregatorRouting bool
	Authorizer        AuthorizerFor
	// Credentials authenticate kapi to the webhooks; nil calls them anonymously.
	Credentials *Credentials
}

// plugin is what both webhook plugins share.
type plugin struct {
	cfg      Config
	versions Versioner
	cache    *Cache
	resolver resolver
	clients  clients
	build    func([]runtime.Object) []*hook

	runOnce sync.Once

	// mu guards hooks and builtAt.
	mu      sync.Mutex
	hooks   []*hook
	builtAt uint64
	built   bool
}

func newPlugin(cfg Config, build func([]runtime.Object) []*hook) *plugin {
	return &plugin{cfg: cfg, versions: Versioner{Scheme: cfg.Scheme, Resources: cfg.Resources}, cache: NewCache(),
		resolver: resolver{services: cfg.Services, endpointSlices: cfg.EndpointSlices, aggregatorRouting: cfg.AggregatorRouting},
		build:    build}
}

// run starts following the configurations until ctx ends; later calls do nothing.
func (p *plugin) run(ctx context.Context) {
	p.runOnce.Do(func() { p.cache.Run(ctx, p.cfg.Configurations) })
}

// WaitForSync blocks until the configurations were read once or ctx ends.
func (p *plugin) WaitForSync(ctx context.Context) error { return p.cache.WaitForSync(ctx) }

// currentHooks returns the webhooks of the current configurations, compiled once
// per change.
func (p *plugin) currentHooks() []*hook {
	p.mu.Lock()
	defer p.mu.Unlock()
	v := p.cache.Version()
	if !p.built || v != p.builtAt {
		p.hooks = p.build(p.cache.List())
		p.builtAt, p.built = v, true
	}
	return p.hooks
}

// notReady waits a while for the configurations to be read and then refuses the
// request, as upstream.
func (p *plugin) notReady(ctx context.Context, a *endpoints.Attributes) error {
	if p.cache.WaitReady(ctx) {
		return nil
	}
	return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, fmt.Errorf("not yet ready to handle request"))
}

// invocation is a webhook chosen for a request, with the version it is sent in.
type invocation struct {
	hook *hook
	kind schema.GroupVersionKind
	gvr  schema.GroupVersionResource
}

// attempt is one request's admission state shared by the webhooks it calls.
type attempt struct {
	a    *endpoints.Attributes
	user *request.User
	// versioned caches the objects converted to a kind; reset when mutated.
	versioned map[schema.GroupVersionKind][2]runtime.Object
}

func newAttempt(ctx context.Context, a *endpoints.Attributes) *attempt {
	u, _ := request.UserFrom(ctx)
	return &attempt{a: a, user: u, versioned: map[schema.GroupVersionKind][2]runtime.Object{}}
}

func (t *attempt) subject() Subject {
	return Subject{Request: Request{Operation: t.a.Operation, Resource: t.a.Resource, Subresource: t.a.Subresource,
		Namespace: t.a.Namespace}, Object: t.a.Object, OldObject: t.a.OldObject}
}

// objects returns the new and old objects in kind's version.
func (p *plugin) objects(t *attempt, kind schema.GroupVersionKind) (runtime.Object, runtime.Object, error) {
	if v, ok := t.versioned[kind]; ok {
		return v[0], v[1], nil
	}
	versions := p.versions.For(t.a)
	obj, err := versions.ToVersion(t.a.Object, kind)
	if err != nil {
		return nil, nil, err
	}
	old, err := versions.ToVersion(t.a.OldObject, kind)
	if err != nil {
		return nil, nil, err
	}
	t.versioned[kind] = [2]runtime.Object{obj, old}
	return obj, old, nil
}

// shouldCall decides whether h applies to the request: rules (or an equivalent
// version's under matchPolicy Equivalent), selectors, then matchConditions.
func (p *plugin) shouldCall(ctx context.Context, h *hook, t *attempt) (*invocation, error) {
	s := t.subject()
	inv := &invocation{hook: h, kind: t.a.Kind, gvr: t.a.Resource}
	if !AnyRuleMatches(h.rules, s.Request) {
		inv = nil
		if h.matchPolicy == admissionregistrationv1.Equivalent {
			for _, gvk := range p.versions.For(t.a).Equivalents(t.a.Resource) {
				alt := s.Request
				alt.Resource.Version = gvk.Version
				if AnyRuleMatches(h.rules, alt) {
					inv = &invocation{hook: h, kind: gvk, gvr: alt.Resource}
					break
				}
			}
		}
		if inv == nil {
			return nil, nil
		}
	}
	ok, err := MatchNamespaceSelector(ctx, h.namespaceSel, s, p.cfg.Namespaces)
	if err != nil {
		return nil, apierrors.NewInternalError(err)
	}
	if !ok {
		return nil, nil
	}
	if ok, err = MatchObjectSelector(h.objectSel, s); err != nil {
		return nil, apierrors.NewInternalError(err)
	} else if !ok {
		return nil, nil
	}
	if h.conditionErr == nil && len(h.conditions) == 0 {
		return inv, nil
	}
	match, err := p.evalConditions(ctx, h, inv, t)
	if err != nil {
		if h.ignoresFailures() {
			return nil, nil
		}
		return nil, apierrors.NewForbidden(t.a.Resource.GroupResource(), t.a.Name, err)
	}
	if !match {
		return nil, nil
	}
	return inv, nil
}

// evalConditions runs h's matchConditions: all true calls the webhook; any false
// skips it; an error is reported after the others ran, as upstream.
func (p *plugin) evalConditions(ctx context.Context, h *hook, inv *invocation, t *attempt) (bool, error) {
	if h.conditionErr != nil {
		return false, h.conditionErr
	}
	obj, old, err := p.objects(t, inv.kind)
	if err != nil {
		return false, err
	}
	act := &celenv.Activation{}
	if act.Object, err = celenv.ObjectMap(obj); err != nil {
		return false, err
	}
	if act.OldObject, err = celenv.ObjectMap(old); err != nil {
		return false, err
	}
	if act.Request, err = celenv.RequestMap(p.admissionRequest(t, inv, nil, nil)); err != nil {
		return false, err
	}
	if p.cfg.Authorizer != nil {
		act.Authorizer = p.cfg.Authorizer(ctx)
	}
	var evalErr error
	for _, c := range h.conditions {
		ok, err := c.prg.EvalBool(act)
		if err != nil {
			evalErr = fmt.Errorf("matchCondition %q: %w", c.name, err)
			continue
		}
		if !ok {
			return false, nil
		}
	}
	if evalErr != nil {
		return false, evalErr
	}
	return true, nil
}

// admissionRequest is the review's request for inv; obj and old are the raw
// versioned objects (nil for none).
func (p *plugin) admissionRequest(t *attempt, inv *invocation, obj, old []byte) *admissionv1.AdmissionRequest {
	a := t.a
	dry := a.DryRun
	req := &admissionv1.AdmissionRequest{
		UID:                newUID(),
		Kind:               metav1.GroupVersionKind{Group: inv.kind.Group, Version: inv.kind.Version, Kind: inv.kind.Kind},
		Resource:           metav1.GroupVersionResource{Group: inv.gvr.Group, Version: inv.gvr.Version, Resource: inv.gvr.Resource},
		SubResource:        a.Subresource,
		RequestKind:        &metav1.GroupVersionKind{Group: a.Kind.Group, Version: a.Kind.Version, Kind: a.Kind.Kind},
		RequestResource:    &metav1.GroupVersionResource{Group: a.Resource.Group, Version: a.Resource.Version, Resource: a.Resource.Resource},
		RequestSubResource: a.Subresource,
		Name:               a.Name,
		Namespace:          a.Namespace,
		Operation:          admissionv1.Operation(a.Operation),
		UserInfo:           userInfo(t.user),
		Object:             runtime.RawExtension{Raw: obj},
		OldObject:          runtime.RawExtension{Raw: old},
		DryRun:             &dry,
	}
	if a.Resource.Group == "" && a.Resource.Resource == "namespaces" && req.Namespace == "" {
		req.Namespace = a.Name
	}
	if opts := options(a); opts != nil {
		raw, _ := json.Marshal(opts)
		req.Options = runtime.RawExtension{Raw: raw}
	}
	return req
}

// call sends inv's review and returns the webhook's response.
func (p *plugin) call(ctx context.Context, inv *invocation, t *attempt) (*admissionv1.AdmissionResponse, error) {
	h := inv.hook
	if t.a.DryRun {
		if h.sideEffects == nil || (*h.sideEffects != admissionregistrationv1.SideEffectClassNone && *h.sideEffects != admissionregistrationv1.SideEffectClassNoneOnDryRun) {
			return nil, dryRunUnsupported(h.name)
		}
	}
	obj, old, err := p.objects(t, inv.kind)
	if err != nil {
		return nil, &callError{hook: h.name, reason: fmt.Errorf("could not create admission objects: %w", err)}
	}
	rawObj, err := encode(obj)
	if err != nil {
		return nil, &callError{hook: h.name, reason: fmt.Errorf("could not create admission objects: %w", err)}
	}
	rawOld, err := encode(old)
	if err != nil {
		return nil, &callError{hook: h.name, reason: fmt.Errorf("could not create admission objects: %w", err)}
	}
	resp, err := p.post(ctx, h, p.admissionRequest(t, inv, rawObj, rawOld))
	if err != nil {
		return nil, err
	}
	for k, v := range resp.AuditAnnotations {
		request.AddAuditAnnotation(ctx, h.name+"/"+k, v)
	}
	for _, w := range resp.Warnings {
		request.AddWarning(ctx, w)
	}
	return resp, nil
}

func encode(obj runtime.Object) ([]byte, error) {
	if obj == nil {
		return nil, nil
	}
	return json.Marshal(obj)
}

// failed turns a webhook error into the request's outcome: nil when the webhook's
// failurePolicy ignores calling failures, noted under the audit annotation
// failOpenKey as upstream.
func failed(ctx context.Context, h *hook, err error, failOpenKey string) error {
	ce, ok := err.(*callError)
	if !ok {
		return err
	}
	if h.ignoresFailures() {
		request.AddAuditAnnotation(ctx, failOpenKey, h.name)
		return nil
	}
	return apierrors.NewInternalError(ce)
}
