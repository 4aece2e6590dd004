package policy

import (
	"context"
	"sort"
	"sync"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/managedfields"

	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/registry"
)

// StatusWriter updates policies/status; *registry.Store is one.
type StatusWriter interface {
	Update(ctx context.Context, ns, name, subresource string, update registry.UpdateFunc, mutate, validate registry.AdmitFunc, forceAllowCreate, dryRun bool) (runtime.Object, bool, error)
}

// Config is what the plugin needs from the server.
type Config struct {
	Scheme *runtime.Scheme
	// Resources are the served resources (matchPolicy Equivalent).
	Resources []*registry.Resource
	// Policies and Bindings stream the ValidatingAdmissionPolicies and
	// ValidatingAdmissionPolicyBindings.
	Policies, Bindings webhook.Source
	// PolicyStatus writes status.typeChecking; nil leaves statuses alone.
	PolicyStatus StatusWriter
	Namespaces   webhook.NamespaceGetter
	Params       ParamResolver
	Authorizer   webhook.AuthorizerFor
	// TypeConverter returns the server-side apply schema of the built-in kinds,
	// which MutatingAdmissionPolicy's ApplyConfigurations merge by; it is called on
	// first use and should build once. nil: no schemas (see NewMutating).
	TypeConverter func() (managedfields.TypeConverter, error)
	// CRDs reads CustomResourceDefinitions, whose schemas merge custom resources'
	// ApplyConfigurations; nil when not served.
	CRDs webhook.Reader
}

// Plugin is the ValidatingAdmissionPolicy admission plugin.
type Plugin struct {
	cfg      Config
	versions webhook.Versioner
	policies *webhook.Cache
	bindings *webhook.Cache
	runOnce  sync.Once

	// mu guards the derived state below, rebuilt when either cache changes.
	mu          sync.Mutex
	policiesAt  uint64
	bindingsAt  uint64
	built       bool
	compiledFor map[string]*compiled // policy name → compiled, reused while unchanged
	bound       []boundPolicy
}

// boundPolicy is one binding with its compiled policy, in binding-name order.
type boundPolicy struct {
	binding *admissionregistrationv1.ValidatingAdmissionPolicyBinding
	policy  *compiled
}

var _ endpoints.Admission = (*Plugin)(nil)

// New returns the plugin; Run starts following the policies and bindings.
func New(cfg Config) *Plugin {
	return &Plugin{cfg: cfg, versions: webhook.Versioner{Scheme: cfg.Scheme, Resources: cfg.Resources},
		policies: webhook.NewCache(), bindings: webhook.NewCache(), compiledFor: map[string]*compiled{}}
}

// Run follows the policies and bindings and keeps the policies' status.typeChecking
// up to date until ctx ends; it returns at once.
func (p *Plugin) Run(ctx context.Context) {
	p.runOnce.Do(func() {
		p.policies.Run(ctx, p.cfg.Policies)
		p.bindings.Run(ctx, p.cfg.Bindings)
		if p.cfg.PolicyStatus != nil {
			go p.reportStatus(ctx)
		}
	})
}

// WaitForSync blocks until policies and bindings were read once or ctx ends.
func (p *Plugin) WaitForSync(ctx context.Context) error {
	if err := p.policies.WaitForSync(ctx); err != nil {
		return err
	}
	return p.bindings.WaitForSync(ctx)
}

// Mutate does nothing: policies only validate.
func (p *Plugin) Mutate(context.Context, *endpoints.Attributes) error { return nil }

// current returns the bindings with their compiled policies, rebuilt after a change.
func (p *Plugin) current() []boundPolicy {
	p.mu.Lock()
	defer p.mu.Unlock()
	pv, bv := p.policies.Version(), p.bindings.Version()
	if p.built && pv == p.policiesAt && bv == p.bindingsAt {
		return p.bound
	}
	byName := map[string]*compiled{}
	for _, o := range p.policies.List() {
		pol, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicy)
		if !ok {
			continue
		}
		c := p.compiledFor[pol.Name]
		if c == nil || c.policy.ResourceVersion != pol.ResourceVersion {
			if c == nil || c.policy.UID != pol.UID || c.policy.Generation != pol.Generation {
				c = compilePolicy(pol)
			} else {
				// Only the status changed: keep the programs.
				cc := *c
				cc.policy = pol
				c = &cc
			}
		}
		byName[pol.Name] = c
	}
	p.compiledFor = byName
	var bound []boundPolicy
	for _, o := range p.bindings.List() {
		b, ok := o.(*admissionregistrationv1.ValidatingAdmissionPolicyBinding)
		if !ok {
			continue
		}
		if c := byName[b.Spec.PolicyName]; c != nil {
			bound = append(bound, boundPolicy{binding: b, policy: c})
		}
	}
	sort.SliceStable(bound, func(i, j int) bool {
		return bound[i].policy.policy.Name < bound[j].policy.policy.Name
	})
	p.bound, p.policiesAt, p.bindingsAt, p.built = bound, pv, bv, true
	return bound
}
