package policy

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/registry"
)

// ServerDeps is what the server hands to BuildExternal.
type ServerDeps struct {
	Scheme    *runtime.Scheme
	Resources []*registry.Resource
	// Store returns the store of a served resource, nil when not served.
	Store      func(gvr schema.GroupVersionResource) *registry.Store
	Authorizer authz.Authorizer
	// AggregatorRouting is --enable-aggregator-routing.
	AggregatorRouting bool
	// MutatingCredentials and ValidatingCredentials authenticate kapi to the
	// webhooks: webhook.LoadCredentials of each plugin's configuration in
	// --admission-control-config-file (nil: anonymous).
	MutatingCredentials, ValidatingCredentials *webhook.Credentials
	// TypeConverter is the server-side apply schema of the built-in kinds, built
	// on its first call and shared with the endpoints (Config.TypeConverter).
	TypeConverter func() (managedfields.TypeConverter, error)
	// WritePolicyStatus is whether the ValidatingAdmissionPolicy plugin writes the
	// policies' status (kube-controller-manager's
	// validatingadmissionpolicy-status-controller, which kapi runs only with its
	// other built-in controllers).
	WritePolicyStatus bool
}

// NamedPlugin is one plugin BuildExternal made, under its upstream name.
type NamedPlugin struct {
	Name   string
	Plugin any
	// WaitForSync blocks until the plugin read its configuration once.
	WaitForSync func(ctx context.Context) error
}

// BuildExternal makes the webhook and policy plugins enabled reports true for
// (MutatingAdmissionPolicy, MutatingAdmissionWebhook, ValidatingAdmissionPolicy,
// ValidatingAdmissionWebhook), in upstream's order. Each has Run(ctx) (the admission
// chain's Runner): until it runs, requests wait for it (up to 10s) and are refused.
func BuildExternal(d ServerDeps, enabled func(name string) bool) []NamedPlugin {
	group := schema.GroupVersion{Group: "admissionregistration.k8s.io", Version: "v1"}
	source := func(resource string) webhook.Source {
		if st := d.Store(group.WithResource(resource)); st != nil {
			return st
		}
		return nil
	}
	reader := func(gvr schema.GroupVersionResource) webhook.Reader {
		if st := d.Store(gvr); st != nil {
			return st
		}
		return nil
	}
	var namespaces webhook.NamespaceGetter
	if r := reader(schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}); r != nil {
		namespaces = webhook.NamespacesFrom(r)
	}
	authorizer := webhook.AuthorizerFrom(d.Authorizer)
	hookCfg := func(resource string, creds *webhook.Credentials) webhook.Config {
		cfg := webhook.Config{Scheme: d.Scheme, Resources: d.Resources, Configurations: source(resource),
			Namespaces: namespaces, AggregatorRouting: d.AggregatorRouting, Authorizer: authorizer, Credentials: creds}
		if r := reader(schema.GroupVersionResource{Version: "v1", Resource: "services"}); r != nil {
			cfg.Services = webhook.ServicesFrom(r)
		}
		if r := reader(schema.GroupVersionResource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices"}); r != nil {
			cfg.EndpointSlices = webhook.EndpointSlicesFrom(r)
		}
		return cfg
	}
	policyCfg := func(policies, bindings string) Config {
		cfg := Config{Scheme: d.Scheme, Resources: d.Resources, Policies: source(policies), Bindings: source(bindings),
			Namespaces: namespaces, Params: ParamsFrom(d.Resources, reader), Authorizer: authorizer}
		if st := d.Store(group.WithResource(policies)); st != nil && d.WritePolicyStatus {
			cfg.PolicyStatus = st
		}
		return cfg
	}
	var out []NamedPlugin
	if enabled("MutatingAdmissionPolicy") {
		cfg := policyCfg("mutatingadmissionpolicies", "mutatingadmissionpolicybindings")
		cfg.TypeConverter = d.TypeConverter
		cfg.CRDs = reader(schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"})
		p := NewMutating(cfg)
		out = append(out, NamedPlugin{Name: "MutatingAdmissionPolicy", Plugin: p, WaitForSync: p.WaitForSync})
	}
	if enabled("MutatingAdmissionWebhook") {
		p := webhook.NewMutating(hookCfg("mutatingwebhookconfigurations", d.MutatingCredentials))
		out = append(out, NamedPlugin{Name: "MutatingAdmissionWebhook", Plugin: p, WaitForSync: p.WaitForSync})
	}
	if enabled("ValidatingAdmissionPolicy") {
		p := New(policyCfg("validatingadmissionpolicies", "validatingadmissionpolicybindings"))
		out = append(out, NamedPlugin{Name: "ValidatingAdmissionPolicy", Plugin: p, WaitForSync: p.WaitForSync})
	}
	if enabled("ValidatingAdmissionWebhook") {
		p := webhook.NewValidating(hookCfg("validatingwebhookconfigurations", d.ValidatingCredentials))
		out = append(out, NamedPlugin{Name: "ValidatingAdmissionWebhook", Plugin: p, WaitForSync: p.WaitForSync})
	}
	return out
}
