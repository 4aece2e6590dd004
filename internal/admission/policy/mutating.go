package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"

	jsonpatch "gopkg.in/evanphx/json-patch.v4"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// Mutating is the MutatingAdmissionPolicy plugin: bound policies' JSONPatch and
// ApplyConfiguration mutations change the object in the mutating phase.
type Mutating struct {
	base     *Plugin
	policies *webhook.Cache
	bindings *webhook.Cache
	runOnce  sync.Once
	// converters give ApplyConfiguration mutations their merge schema.
	converters *typeConverters

	// mu guards the derived state below.
	mu         sync.Mutex
	policiesAt uint64
	bindingsAt uint64
	built      bool
	compiled   map[string]*compiledMutating
	bound      []boundMutating
}

type compiledMutating struct {
	policy     *admissionregistrationv1.MutatingAdmissionPolicy
	conditions []namedProgram
	variables  []namedProgram
	mutations  []mutation
}

type mutation struct {
	patchType admissionregistrationv1.PatchType
	prg       *celenv.Program
	err       error
}

type boundMutating struct {
	binding *admissionregistrationv1.MutatingAdmissionPolicyBinding
	policy  *compiledMutating
}

var _ endpoints.Admission = (*Mutating)(nil)

// NewMutating returns the plugin for cfg.Policies (MutatingAdmissionPolicies) and
// cfg.Bindings (their bindings); cfg.PolicyStatus is not used. ApplyConfigurations
// merge by cfg.TypeConverter's schemas and, for custom resources, by those of
// cfg.CRDs (without either, by the deduced schema). Run starts it.
func NewMutating(cfg Config) *Mutating {
	return &Mutating{base: &Plugin{cfg: cfg, versions: webhook.Versioner{Scheme: cfg.Scheme, Resources: cfg.Resources}},
		policies: webhook.NewCache(), bindings: webhook.NewCache(), compiled: map[string]*compiledMutating{},
		converters: &typeConverters{builtin: cfg.TypeConverter, crds: cfg.CRDs}}
}

// Run follows the policies and bindings until ctx ends; it returns at once.
func (m *Mutating) Run(ctx context.Context) {
	m.runOnce.Do(func() {
		m.policies.Run(ctx, m.base.cfg.Policies)
		m.bindings.Run(ctx, m.base.cfg.Bindings)
	})
}

// WaitForSync blocks until policies and bindings were read once or ctx ends.
func (m *Mutating) WaitForSync(ctx context.Context) error {
	if err := m.policies.WaitForSync(ctx); err != nil {
		return err
	}
	return m.bindings.WaitForSync(ctx)
}

// Admit is Mutate under the name internal/admission's chain calls.
func (m *Mutating) Admit(ctx context.Context, a *endpoints.Attributes) error { return m.Mutate(ctx, a) }

// Validate does nothing: these policies only mutate.
func (m *Mutating) Validate(context.Context, *endpoints.Attributes) error { return nil }

func compileMutating(p *admissionregistrationv1.MutatingAdmissionPolicy) *compiledMutating {
	c := &compiledMutating{policy: p}
	for _, mc := range p.Spec.MatchConditions {
		prg, err := celenv.Compile(mc.Expression, nil)
		c.conditions = append(c.conditions, namedProgram{name: mc.Name, prg: prg, err: err})
	}
	for _, v := range p.Spec.Variables {
		prg, err := celenv.Compile(v.Expression, nil)
		c.variables = append(c.variables, namedProgram{name: v.Name, prg: prg, err: err})
	}
	for _, mu := range p.Spec.Mutations {
		var prg *celenv.Program
		var err error
		switch {
		case mu.PatchType == admissionregistrationv1.PatchTypeJSONPatch && mu.JSONPatch != nil:
			prg, err = celenv.CompileJSONPatch(mu.JSONPatch.Expression)
		case mu.PatchType == admissionregistrationv1.PatchTypeApplyConfiguration && mu.ApplyConfiguration != nil:
			prg, err = celenv.CompileApplyConfiguration(mu.ApplyConfiguration.Expression)
		default:
			prg, err = celenv.CompileMutation("")
		}
		c.mutations = append(c.mutations, mutation{patchType: mu.PatchType, prg: prg, err: err})
	}
	return c
}

func (m *Mutating) current() []boundMutating {
	m.mu.Lock()
	defer m.mu.Unlock()
	pv, bv := m.policies.Version(), m.bindings.Version()
	if m.built && pv == m.policiesAt && bv == m.bindingsAt {
		return m.bound
	}
	byName := map[string]*compiledMutating{}
	for _, o := range m.policies.List() {
		pol, ok := o.(*admissionregistrationv1.MutatingAdmissionPolicy)
		if !ok {
			continue
		}
		c := m.compiled[pol.Name]
		if c == nil || c.policy.UID != pol.UID || c.policy.Generation != pol.Generation {
			c = compileMutating(pol)
		}
		byName[pol.Name] = c
	}
	m.compiled = byName
	var bound []boundMutating
	for _, o := range m.bindings.List() {
		b, ok := o.(*admissionregistrationv1.MutatingAdmissionPolicyBinding)
		if !ok {
			continue
		}
		if c := byName[b.Spec.PolicyName]; c != nil {
			bound = append(bound, boundMutating{binding: b, policy: c})
		}
	}
	sort.SliceStable(bound, func(i, j int) bool { return bound[i].policy.policy.Name < bound[j].policy.policy.Name })
	m.bound, m.policiesAt, m.bindingsAt, m.built = bound, pv, bv, true
	return bound
}

// Mutate implements endpoints.Admission: bound policies run in policy-name order,
// each mutation on the result of the previous one. Failures are gathered; those of
// policies that fail closed refuse the request at the end of the pass. Inside the
// admission chain it is one pass of the chain's mutating phase, in whose second
// pass only invocations with reinvocationPolicy IfNeeded that a later change
// concerns run again; used on its own it reinvokes itself as a chain of one would.
func (m *Mutating) Mutate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Object == nil || webhook.Exempt(a.Resource) {
		return nil
	}
	if !m.policies.WaitReady(ctx) || !m.bindings.WaitReady(ctx) {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New("not yet ready to handle request"))
	}
	return admission.Reinvoke(ctx, a, func(ctx context.Context, r *admission.Reinvocation) error {
		return m.pass(ctx, a, r)
	})
}

// pass runs the bound policies once.
func (m *Mutating) pass(ctx context.Context, a *endpoints.Attributes, r *admission.Reinvocation) error {
	bound := m.current()
	if len(bound) == 0 {
		return nil
	}
	ev := &evaluation{ctx: ctx, a: a, byKind: map[schema.GroupVersionKind][2]map[string]any{},
		subject: webhook.Subject{Request: webhook.Request{Operation: a.Operation, Resource: a.Resource, Subresource: a.Subresource,
			Namespace: a.Namespace}, Object: a.Object, OldObject: a.OldObject}}
	ev.user, _ = request.UserFrom(ctx)
	if m.base.cfg.Authorizer != nil {
		ev.authz = m.base.cfg.Authorizer(ctx)
	}
	ps := &policyPass{tracker: admission.TrackerFor[invocationKey](r, mutatingName)}
	var errs []mutationError
	for _, bp := range bound {
		more, err := m.apply(ev, bp, ps)
		if err != nil {
			return err
		}
		errs = append(errs, more...)
	}
	ps.end(a.Object)
	return denial(a, errs)
}

// apply runs one binding's policy over the object, once per param. A
// StatusError of a mutation ends admission at once whatever the failure policy,
// as upstream; other failures are returned for the failure policy to judge.
func (m *Mutating) apply(ev *evaluation, bp boundMutating, ps *policyPass) ([]mutationError, error) {
	pol := bp.policy
	spec := pol.policy.Spec
	fail := func(err error, binding string, reason metav1.StatusReason) []mutationError {
		return []mutationError{{policy: pol.policy, binding: binding, err: err, reason: reason}}
	}
	match, err := m.base.matches(ev.ctx, spec.MatchConstraints, ev.subject, ev.a)
	if err != nil {
		return fail(configErr("policy", err), "", ""), nil
	}
	if match == nil {
		return nil, nil
	}
	bm, err := m.base.matches(ev.ctx, bp.binding.Spec.MatchResources, ev.subject, ev.a)
	if err != nil {
		return fail(configErr("binding", err), bp.binding.Name, ""), nil
	}
	if bm == nil {
		return nil, nil
	}
	params, err := m.base.collectParams(ev.ctx, spec.ParamKind, bp.binding.Spec.ParamRef, ev.a.Namespace)
	if err != nil {
		return fail(configErr("binding", err), bp.binding.Name, ""), nil
	}
	var errs []mutationError
	for _, param := range params {
		ps.begin(ev.a.Object)
		act, err := m.base.activation(ev, match, param, spec.ParamKind)
		if err != nil {
			errs = append(errs, fail(err, bp.binding.Name, metav1.StatusReasonInvalid)...)
			continue
		}
		runVariables(pol.variables, act)
		if ok, err := runConditions(pol.conditions, act); err != nil || !ok {
			if err != nil {
				errs = append(errs, fail(err, bp.binding.Name, metav1.StatusReasonInvalid)...)
			}
			continue
		}
		ns, name := paramKey(param)
		key := invocationKey{policy: pol.policy.Name, binding: bp.binding.Name, paramNamespace: ns, paramName: name}
		if ps.tracker.Skip(key) {
			continue
		}
		if len(pol.mutations) > 0 {
			ps.mutating(match.kind)
		}
		before := ev.a.Object.DeepCopyObject()
		for _, mu := range pol.mutations {
			if mu.err != nil {
				errs = append(errs, fail(mu.err, bp.binding.Name, metav1.StatusReasonInvalid)...)
				continue
			}
			if err := m.mutate(ev, match, mu, act); err != nil {
				var se *apierrors.StatusError
				if errors.As(err, &se) {
					return nil, se
				}
				errs = append(errs, fail(err, bp.binding.Name, metav1.StatusReasonInvalid)...)
				continue
			}
			ps.mutated(match.kind)
			// Later mutations see the mutated object.
			if act, err = m.base.activation(ev, match, param, spec.ParamKind); err != nil {
				errs = append(errs, fail(err, bp.binding.Name, metav1.StatusReasonInvalid)...)
				break
			}
			runVariables(pol.variables, act)
		}
		ps.tracker.Ran(key, !apiequality.Semantic.DeepEqual(before, ev.a.Object),
			spec.ReinvocationPolicy == admissionregistrationv1.IfNeededReinvocationPolicy)
	}
	return errs, nil
}

func configErr(what string, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("failed to configure %s: %w", what, err)
}

func runConditions(conds []namedProgram, act *celenv.Activation) (bool, error) {
	var condErr error
	for _, c := range conds {
		if c.err != nil {
			condErr = c.err
			continue
		}
		ok, err := c.prg.EvalBool(act)
		if err != nil {
			condErr = err
			continue
		}
		if !ok {
			return false, nil
		}
	}
	return condErr == nil, condErr
}

func runVariables(vars []namedProgram, act *celenv.Activation) {
	act.Variables = map[string]any{}
	for _, v := range vars {
		if v.err != nil {
			continue
		}
		if out, err := v.prg.Eval(act); err == nil {
			act.Variables[v.name] = out
		}
	}
}

// mutate evaluates one mutation and writes the patched object back into the
// stored-type object the chain carries.
func (m *Mutating) mutate(ev *evaluation, match *match, mu mutation, act *celenv.Activation) error {
	out, err := mu.prg.Eval(act)
	if err != nil {
		return err
	}
	versions := m.base.versions.For(ev.a)
	versioned, err := versions.ToVersion(ev.a.Object, match.kind)
	if err != nil {
		return err
	}
	var after []byte
	switch mu.patchType {
	case admissionregistrationv1.PatchTypeJSONPatch:
		native, err := celenv.Native(out)
		if err != nil {
			return err
		}
		before, err := json.Marshal(versioned)
		if err != nil {
			return err
		}
		raw, err := json.Marshal(native)
		if err != nil {
			return err
		}
		patch, err := jsonpatch.DecodePatch(raw)
		if err != nil {
			return fmt.Errorf("JSON Patch: %w", err)
		}
		if after, err = patch.Apply(before); err != nil {
			return fmt.Errorf("JSON Patch: %w", err)
		}
	case admissionregistrationv1.PatchTypeApplyConfiguration:
		cfg, err := celenv.ApplyConfiguration(out)
		if err != nil {
			return err
		}
		tc, err := m.converters.forObject(ev.ctx, versioned, match.gvr)
		if err != nil {
			return err
		}
		merged, err := mergeApplyConfiguration(tc, versioned, cfg)
		if err != nil {
			return fmt.Errorf("error applying patch: %w", err)
		}
		if after, err = json.Marshal(merged); err != nil {
			return err
		}
	default:
		return fmt.Errorf("unsupported patch type %q", mu.patchType)
	}
	fresh, err := m.newLike(versioned)
	if err != nil {
		return apierrors.NewInternalError(err)
	}
	if err := json.Unmarshal(after, fresh); err != nil {
		return fmt.Errorf("mutation produced an invalid object: %w", err)
	}
	m.base.cfg.Scheme.Default(fresh)
	if u, ok := fresh.(*unstructured.Unstructured); ok {
		// A custom resource is defaulted by its CRD's structural schema, as
		// upstream's defaulter for custom resources does after each mutation.
		if err := m.converters.defaultCustomResource(ev.ctx, match.gvr, u); err != nil {
			return err
		}
	}
	kept := ev.a.Object.GetObjectKind().GroupVersionKind()
	if err := versions.Into(fresh, ev.a.Object); err != nil {
		return apierrors.NewInternalError(err)
	}
	ev.a.Object.GetObjectKind().SetGroupVersionKind(kept)
	ev.subject.Object = ev.a.Object
	clear(ev.byKind)
	return nil
}

// newLike returns an empty object of obj's kind: unstructured for a custom
// resource, the registered type otherwise.
func (m *Mutating) newLike(obj runtime.Object) (runtime.Object, error) {
	if _, ok := obj.(*unstructured.Unstructured); ok {
		return &unstructured.Unstructured{}, nil
	}
	return m.base.cfg.Scheme.New(obj.GetObjectKind().GroupVersionKind())
}
