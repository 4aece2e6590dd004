package webhook

import (
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/google/cel-go/cel"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
)

// defaultTimeout is a webhook's timeoutSeconds when unset, as upstream.
const defaultTimeout = 10 * time.Second

// hook is one webhook of a configuration, mutating or validating, with its match
// conditions compiled.
type hook struct {
	// configuration names the webhook configuration the webhook belongs to.
	configuration  string
	name           string
	clientConfig   admissionregistrationv1.WebhookClientConfig
	rules          []admissionregistrationv1.RuleWithOperations
	failurePolicy  admissionregistrationv1.FailurePolicyType
	matchPolicy    admissionregistrationv1.MatchPolicyType
	namespaceSel   *metav1.LabelSelector
	objectSel      *metav1.LabelSelector
	sideEffects    *admissionregistrationv1.SideEffectClass
	timeout        time.Duration
	reviewVersions []string
	reinvoke       bool
	conditions     []condition
	// conditionErr is why a match condition did not compile.
	conditionErr error
}

type condition struct {
	name string
	prg  *celenv.Program
}

// ignoresFailures reports whether calling failures let the request through.
func (h *hook) ignoresFailures() bool {
	return h.failurePolicy == admissionregistrationv1.Ignore
}

func newHook(name string, cc admissionregistrationv1.WebhookClientConfig, rules []admissionregistrationv1.RuleWithOperations,
	fp *admissionregistrationv1.FailurePolicyType, mp *admissionregistrationv1.MatchPolicyType,
	nsSel, objSel *metav1.LabelSelector, se *admissionregistrationv1.SideEffectClass, timeout *int32,
	versions []string, conds []admissionregistrationv1.MatchCondition) *hook {
	h := &hook{name: name, clientConfig: cc, rules: rules, namespaceSel: nsSel, objectSel: objSel,
		sideEffects: se, timeout: defaultTimeout, reviewVersions: versions,
		failurePolicy: admissionregistrationv1.Fail, matchPolicy: admissionregistrationv1.Equivalent}
	if fp != nil {
		h.failurePolicy = *fp
	}
	if mp != nil {
		h.matchPolicy = *mp
	}
	if timeout != nil && *timeout > 0 {
		h.timeout = time.Duration(*timeout) * time.Second
	}
	for _, c := range conds {
		prg, err := celenv.Compile(c.Expression, cel.BoolType)
		if err != nil {
			h.conditionErr = err
			break
		}
		h.conditions = append(h.conditions, condition{name: c.Name, prg: prg})
	}
	return h
}

// mutatingHooks flattens the configurations in name order, as upstream sorts them.
func mutatingHooks(objs []runtime.Object) []*hook {
	var out []*hook
	for _, o := range objs {
		cfg, ok := o.(*admissionregistrationv1.MutatingWebhookConfiguration)
		if !ok {
			continue
		}
		for _, w := range cfg.Webhooks {
			h := newHook(w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector,
				w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions)
			h.reinvoke = w.ReinvocationPolicy != nil && *w.ReinvocationPolicy == admissionregistrationv1.IfNeededReinvocationPolicy
			h.configuration = cfg.Name
			out = append(out, h)
		}
	}
	return out
}

// validatingHooks flattens the configurations in name order.
func validatingHooks(objs []runtime.Object) []*hook {
	var out []*hook
	for _, o := range objs {
		cfg, ok := o.(*admissionregistrationv1.ValidatingWebhookConfiguration)
		if !ok {
			continue
		}
		for _, w := range cfg.Webhooks {
			h := newHook(w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector,
				w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions)
			h.configuration = cfg.Name
			out = append(out, h)
		}
	}
	return out
}
