package defaults

import (
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerAdmissionregistration installs the defaults of admissionregistration.k8s.io/v1:
// webhooks fail closed, match equivalent requests, select everything, wait 10s and
// (mutating) are never reinvoked; rules cover every scope; policies fail closed.
func registerAdmissionregistration(s *runtime.Scheme) {
	add(s, validatingWebhookConfiguration)
	addList(s, func(l *admissionregistrationv1.ValidatingWebhookConfigurationList) []admissionregistrationv1.ValidatingWebhookConfiguration {
		return l.Items
	}, validatingWebhookConfiguration)
	add(s, mutatingWebhookConfiguration)
	addList(s, func(l *admissionregistrationv1.MutatingWebhookConfigurationList) []admissionregistrationv1.MutatingWebhookConfiguration {
		return l.Items
	}, mutatingWebhookConfiguration)
	add(s, validatingAdmissionPolicy)
	addList(s, func(l *admissionregistrationv1.ValidatingAdmissionPolicyList) []admissionregistrationv1.ValidatingAdmissionPolicy {
		return l.Items
	}, validatingAdmissionPolicy)
	add(s, validatingAdmissionPolicyBinding)
	addList(s, func(l *admissionregistrationv1.ValidatingAdmissionPolicyBindingList) []admissionregistrationv1.ValidatingAdmissionPolicyBinding {
		return l.Items
	}, validatingAdmissionPolicyBinding)
	add(s, mutatingAdmissionPolicy)
	addList(s, func(l *admissionregistrationv1.MutatingAdmissionPolicyList) []admissionregistrationv1.MutatingAdmissionPolicy {
		return l.Items
	}, mutatingAdmissionPolicy)
	add(s, mutatingAdmissionPolicyBinding)
	addList(s, func(l *admissionregistrationv1.MutatingAdmissionPolicyBindingList) []admissionregistrationv1.MutatingAdmissionPolicyBinding {
		return l.Items
	}, mutatingAdmissionPolicyBinding)
}

// webhookCommon defaults the fields validating and mutating webhooks share.
func webhookCommon(failure **admissionregistrationv1.FailurePolicyType, match **admissionregistrationv1.MatchPolicyType,
	nsSel, objSel **metav1.LabelSelector, timeout **int32, cc *admissionregistrationv1.WebhookClientConfig,
	rules []admissionregistrationv1.RuleWithOperations) {
	ptrOrDefault(failure, admissionregistrationv1.Fail)
	ptrOrDefault(match, admissionregistrationv1.Equivalent)
	ptrOrDefault(nsSel, metav1.LabelSelector{})
	ptrOrDefault(objSel, metav1.LabelSelector{})
	ptrOrDefault(timeout, 10)
	if cc.Service != nil {
		ptrOrDefault(&cc.Service.Port, 443)
	}
	for i := range rules {
		admissionRule(&rules[i].Rule)
	}
}

func admissionRule(r *admissionregistrationv1.Rule) {
	ptrOrDefault(&r.Scope, admissionregistrationv1.AllScopes)
}

func validatingWebhookConfiguration(c *admissionregistrationv1.ValidatingWebhookConfiguration) {
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		webhookCommon(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds, &w.ClientConfig, w.Rules)
	}
}

func mutatingWebhookConfiguration(c *admissionregistrationv1.MutatingWebhookConfiguration) {
	for i := range c.Webhooks {
		w := &c.Webhooks[i]
		webhookCommon(&w.FailurePolicy, &w.MatchPolicy, &w.NamespaceSelector, &w.ObjectSelector, &w.TimeoutSeconds, &w.ClientConfig, w.Rules)
		ptrOrDefault(&w.ReinvocationPolicy, admissionregistrationv1.NeverReinvocationPolicy)
	}
}

// admissionMatchResources defaults a policy's or binding's match block.
func admissionMatchResources(m *admissionregistrationv1.MatchResources) {
	if m == nil {
		return
	}
	ptrOrDefault(&m.MatchPolicy, admissionregistrationv1.Equivalent)
	ptrOrDefault(&m.NamespaceSelector, metav1.LabelSelector{})
	ptrOrDefault(&m.ObjectSelector, metav1.LabelSelector{})
	for i := range m.ResourceRules {
		admissionRule(&m.ResourceRules[i].Rule)
	}
	for i := range m.ExcludeResourceRules {
		admissionRule(&m.ExcludeResourceRules[i].Rule)
	}
}

func validatingAdmissionPolicy(p *admissionregistrationv1.ValidatingAdmissionPolicy) {
	ptrOrDefault(&p.Spec.FailurePolicy, admissionregistrationv1.Fail)
	admissionMatchResources(p.Spec.MatchConstraints)
}

func validatingAdmissionPolicyBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) {
	admissionMatchResources(b.Spec.MatchResources)
}

func mutatingAdmissionPolicy(p *admissionregistrationv1.MutatingAdmissionPolicy) {
	ptrOrDefault(&p.Spec.FailurePolicy, admissionregistrationv1.Fail)
	admissionMatchResources(p.Spec.MatchConstraints)
}

func mutatingAdmissionPolicyBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) {
	admissionMatchResources(b.Spec.MatchResources)
}
