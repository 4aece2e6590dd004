package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/cel-go/common/types"
	admissionv1 "k8s.io/api/admission/v1"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
	"github.com/kapi-dev/kapi/internal/admission/webhook"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// maxMessageBytes bounds a messageExpression's result, as upstream's
// MaxEvaluatedMessageExpressionSizeBytes.
const maxMessageBytes = 5 * 1024

// failureAnnotation is the audit annotation of Audit validation failures.
const failureAnnotation = "validation.policy.admission.k8s.io/validation_failure"

// decision is one failed validation or evaluation error.
type decision struct {
	policy, binding string
	message         string
	reason          metav1.StatusReason
	index           int
	actions         []admissionregistrationv1.ValidationAction
}

// auditFailure is one entry of the validation_failure audit annotation.
type auditFailure struct {
	Message           string                                     `json:"message"`
	Policy            string                                     `json:"policy"`
	Binding           string                                     `json:"binding"`
	ExpressionIndex   int                                        `json:"expressionIndex"`
	ValidationActions []admissionregistrationv1.ValidationAction `json:"validationActions"`
}

// evaluation caches what every policy of one request shares.
type evaluation struct {
	ctx     context.Context
	a       *endpoints.Attributes
	subject webhook.Subject
	user    *request.User
	// byKind caches the object maps in each version policies match in.
	byKind    map[schema.GroupVersionKind][2]map[string]any
	namespace map[string]any
	nsLoaded  bool
	authz     celenv.AuthorizeFunc
}

// Validate implements endpoints.Admission.
func (p *Plugin) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if webhook.Exempt(a.Resource) {
		return nil
	}
	if !p.policies.WaitReady(ctx) || !p.bindings.WaitReady(ctx) {
		return apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New("not yet ready to handle request"))
	}
	bound := p.current()
	if len(bound) == 0 {
		return nil
	}
	ev := &evaluation{ctx: ctx, a: a, byKind: map[schema.GroupVersionKind][2]map[string]any{},
		subject: webhook.Subject{Request: webhook.Request{Operation: a.Operation, Resource: a.Resource, Subresource: a.Subresource,
			Namespace: a.Namespace}, Object: a.Object, OldObject: a.OldObject}}
	ev.user, _ = request.UserFrom(ctx)
	if p.cfg.Authorizer != nil {
		ev.authz = p.cfg.Authorizer(ctx)
	}
	var denies []decision
	var audits []auditFailure
	for _, bp := range bound {
		for _, d := range p.evaluate(ev, bp) {
			for _, action := range d.actions {
				switch action {
				case admissionregistrationv1.Deny:
					denies = append(denies, d)
				case admissionregistrationv1.Warn:
					request.AddWarning(ctx, fmt.Sprintf("Validation failed for ValidatingAdmissionPolicy '%s' with binding '%s': %s", d.policy, d.binding, d.message))
				case admissionregistrationv1.Audit:
					audits = append(audits, auditFailure{Message: d.message, Policy: d.policy, Binding: d.binding,
						ExpressionIndex: d.index, ValidationActions: d.actions})
				}
			}
		}
	}
	if len(audits) > 0 {
		if len(audits) > 50 {
			audits = audits[:50]
		}
		if raw, err := json.Marshal(audits); err == nil {
			request.AddAuditAnnotation(ctx, failureAnnotation, string(raw))
		}
	}
	if len(denies) == 0 {
		return nil
	}
	return denyError(a, denies[0])
}

// denyError is upstream's refusal: Forbidden's message shape, the validation's
// reason and the code that reason implies.
func denyError(a *endpoints.Attributes, d decision) error {
	msg := fmt.Sprintf("ValidatingAdmissionPolicy '%s' with binding '%s' denied request: %s", d.policy, d.binding, d.message)
	err := apierrors.NewForbidden(a.Resource.GroupResource(), a.Name, errors.New(msg))
	reason := d.reason
	if reason == "" {
		reason = metav1.StatusReasonInvalid
	}
	err.ErrStatus.Reason = reason
	err.ErrStatus.Code = reasonCode(reason)
	err.ErrStatus.Details.Causes = append(err.ErrStatus.Details.Causes, metav1.StatusCause{Message: msg})
	return err
}

func reasonCode(r metav1.StatusReason) int32 {
	switch r {
	case metav1.StatusReasonForbidden:
		return http.StatusForbidden
	case metav1.StatusReasonUnauthorized:
		return http.StatusUnauthorized
	case metav1.StatusReasonRequestEntityTooLarge:
		return http.StatusRequestEntityTooLarge
	case metav1.StatusReasonInvalid:
		return http.StatusUnprocessableEntity
	}
	return http.StatusUnprocessableEntity
}

// evaluate runs one binding: the failed validations, or its configuration and
// evaluation errors when the failurePolicy is Fail.
func (p *Plugin) evaluate(ev *evaluation, bp boundPolicy) []decision {
	pol, b := bp.policy, bp.binding
	configError := func(err error) []decision {
		if pol.failurePolicy() == admissionregistrationv1.Ignore {
			return nil
		}
		return []decision{{policy: pol.policy.Name, binding: b.Name, message: fmt.Sprintf("failed to configure binding: %v", err),
			actions: b.Spec.ValidationActions}}
	}
	m, err := p.matches(ev.ctx, pol.policy.Spec.MatchConstraints, ev.subject, ev.a)
	if err != nil {
		return configError(err)
	}
	if m == nil {
		return nil
	}
	bm, err := p.matches(ev.ctx, b.Spec.MatchResources, ev.subject, ev.a)
	if err != nil {
		return configError(err)
	}
	if bm == nil {
		return nil
	}
	params, err := p.collectParams(ev.ctx, pol.policy.Spec.ParamKind, b.Spec.ParamRef, ev.a.Namespace)
	if err != nil {
		return configError(err)
	}
	var out []decision
	for _, param := range params {
		act, err := p.activation(ev, m, param, pol.policy.Spec.ParamKind)
		if err != nil {
			out = append(out, configError(err)...)
			continue
		}
		out = append(out, p.run(ev, pol, b, act)...)
	}
	return out
}

// activation builds the variables of one evaluation.
func (p *Plugin) activation(ev *evaluation, m *match, param runtime.Object, kind *admissionregistrationv1.ParamKind) (*celenv.Activation, error) {
	objs, ok := ev.byKind[m.kind]
	if !ok {
		versions := p.versions.For(ev.a)
		obj, err := versions.ToVersion(ev.a.Object, m.kind)
		if err != nil {
			return nil, fmt.Errorf("failed to convert object version: %w", err)
		}
		old, err := versions.ToVersion(ev.a.OldObject, m.kind)
		if err != nil {
			return nil, fmt.Errorf("failed to convert object version: %w", err)
		}
		if objs[0], err = celenv.ObjectMap(obj); err != nil {
			return nil, err
		}
		if objs[1], err = celenv.ObjectMap(old); err != nil {
			return nil, err
		}
		ev.byKind[m.kind] = objs
	}
	act := &celenv.Activation{Object: objs[0], OldObject: objs[1], Authorizer: ev.authz, Variables: map[string]any{}}
	req, err := celenv.RequestMap(p.admissionRequest(ev, m))
	if err != nil {
		return nil, err
	}
	act.Request = req
	if param != nil {
		pm, err := celenv.ObjectMap(param)
		if err != nil {
			return nil, err
		}
		if _, ok := pm["apiVersion"]; !ok && kind != nil {
			pm["apiVersion"], pm["kind"] = kind.APIVersion, kind.Kind
		}
		act.Params = pm
	}
	ns, err := p.namespaceObject(ev)
	if err != nil {
		return nil, err
	}
	act.NamespaceObject = ns
	return act, nil
}

// namespaceObject is the request's namespace (none for cluster-scoped objects and
// namespaces themselves).
func (p *Plugin) namespaceObject(ev *evaluation) (map[string]any, error) {
	if ev.nsLoaded {
		return ev.namespace, nil
	}
	ev.nsLoaded = true
	if ev.a.Namespace == "" || ev.subject.IsNamespace() || p.cfg.Namespaces == nil {
		return nil, nil
	}
	ns, err := p.cfg.Namespaces(ev.ctx, ev.a.Namespace)
	if err != nil {
		if apierrors.IsNotFound(err) {
			return nil, nil
		}
		return nil, err
	}
	cp := ns.DeepCopy()
	cp.APIVersion, cp.Kind = corev1.SchemeGroupVersion.String(), "Namespace"
	ev.namespace, err = celenv.ObjectMap(cp)
	return ev.namespace, err
}

func (p *Plugin) admissionRequest(ev *evaluation, m *match) *admissionv1.AdmissionRequest {
	a := ev.a
	dry := a.DryRun
	req := &admissionv1.AdmissionRequest{
		Kind:               metav1.GroupVersionKind{Group: m.kind.Group, Version: m.kind.Version, Kind: m.kind.Kind},
		Resource:           metav1.GroupVersionResource{Group: m.gvr.Group, Version: m.gvr.Version, Resource: m.gvr.Resource},
		SubResource:        a.Subresource,
		RequestKind:        &metav1.GroupVersionKind{Group: a.Kind.Group, Version: a.Kind.Version, Kind: a.Kind.Kind},
		RequestResource:    &metav1.GroupVersionResource{Group: a.Resource.Group, Version: a.Resource.Version, Resource: a.Resource.Resource},
		RequestSubResource: a.Subresource,
		Name:               a.Name,
		Namespace:          a.Namespace,
		Operation:          admissionv1.Operation(a.Operation),
		DryRun:             &dry,
		Options:            runtime.RawExtension{Object: a.Options},
	}
	if u := ev.user; u != nil {
		req.UserInfo.Username, req.UserInfo.UID, req.UserInfo.Groups = u.Name, u.UID, u.Groups
	}
	return req
}

// run evaluates matchConditions, variables, validations and audit annotations.
func (p *Plugin) run(ev *evaluation, pol *compiled, b *admissionregistrationv1.ValidatingAdmissionPolicyBinding, act *celenv.Activation) []decision {
	onError := func(index int, err error) []decision {
		if pol.failurePolicy() == admissionregistrationv1.Ignore {
			return nil
		}
		return []decision{{policy: pol.policy.Name, binding: b.Name, message: err.Error(), index: index, actions: b.Spec.ValidationActions}}
	}
	var condErr error
	for _, c := range pol.conditions {
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
			return nil
		}
	}
	if condErr != nil {
		return onError(0, condErr)
	}
	for _, v := range pol.variables {
		if v.err != nil {
			// Expressions that use it fail; the others still run.
			continue
		}
		out, err := v.prg.Eval(act)
		if err != nil {
			continue
		}
		act.Variables[v.name] = out
	}
	var out []decision
	for i, v := range pol.validations {
		if v.err != nil {
			out = append(out, onError(i, v.err)...)
			continue
		}
		ok, err := v.prg.EvalBool(act)
		if err != nil {
			out = append(out, onError(i, err)...)
			continue
		}
		if ok {
			continue
		}
		d := decision{policy: pol.policy.Name, binding: b.Name, index: i, actions: b.Spec.ValidationActions, reason: metav1.StatusReasonInvalid}
		if v.spec.Reason != nil {
			d.reason = *v.spec.Reason
		}
		d.message = message(v, act)
		out = append(out, d)
	}
	for _, an := range pol.annotations {
		if an.err != nil {
			continue
		}
		val, err := an.prg.Eval(act)
		if err != nil {
			continue
		}
		if s, ok := val.(types.String); ok {
			request.AddAuditAnnotation(ev.ctx, pol.policy.Name+"/"+an.name, string(s))
		}
	}
	return out
}

// message is a failed validation's message: messageExpression's single-line result,
// else message, else the expression, as upstream.
func message(v validation, act *celenv.Activation) string {
	if v.message != nil {
		if s, err := v.message.EvalString(act); err == nil {
			s = strings.TrimSpace(s)
			if s != "" && len(s) <= maxMessageBytes && !strings.Contains(s, "\n") {
				return s
			}
		}
	}
	if m := strings.TrimSpace(v.spec.Message); m != "" {
		return m
	}
	return "failed expression: " + strings.TrimSpace(v.spec.Expression)
}
