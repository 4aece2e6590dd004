package validation

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	"k8s.io/apimachinery/pkg/api/validation/path"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Allowed values, sorted as upstream's error messages list them.
var (
	admFailurePolicies = []string{"Fail", "Ignore"}
	admMatchPolicies   = []string{"Equivalent", "Exact"}
	admSideEffectsAll  = []string{"None", "NoneOnDryRun", "Some", "Unknown"}
	admSideEffectsNone = []string{"None", "NoneOnDryRun"}
	admOperations      = []string{"*", "CONNECT", "CREATE", "DELETE", "UPDATE"}
	admMutatingOps     = []string{"*", "CONNECT", "CREATE", "UPDATE"}
	admScopes          = []string{"*", "Cluster", "Namespaced"}
	admReinvocation    = []string{"IfNeeded", "Never"}
	admReviewVersions  = []string{"v1", "v1beta1"}
	admActions         = []string{"Audit", "Deny", "Warn"}
	admPatchTypes      = []string{"ApplyConfiguration", "JSONPatch"}
)

// webhookOptions relax rules an existing configuration already breaks.
type webhookOptions struct {
	allowSideEffects, allowUnknownReviewVersions, allowDuplicateNames, allowInvalidSelectorValues bool
}

// admWebhook is the part of validating and mutating webhooks that validation reads.
type admWebhook struct {
	name                    string
	clientConfig            admissionregistrationv1.WebhookClientConfig
	rules                   []admissionregistrationv1.RuleWithOperations
	failurePolicy           *admissionregistrationv1.FailurePolicyType
	matchPolicy             *admissionregistrationv1.MatchPolicyType
	nsSelector, objSelector *metav1.LabelSelector
	sideEffects             *admissionregistrationv1.SideEffectClass
	timeoutSeconds          *int32
	reviewVersions          []string
	matchConditions         []admissionregistrationv1.MatchCondition
	reinvocation            *admissionregistrationv1.ReinvocationPolicyType
}

func validatingWebhooks(list []admissionregistrationv1.ValidatingWebhook) []admWebhook {
	out := make([]admWebhook, len(list))
	for i, w := range list {
		out[i] = admWebhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector,
			w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions, nil}
	}
	return out
}

func mutatingWebhooks(list []admissionregistrationv1.MutatingWebhook) []admWebhook {
	out := make([]admWebhook, len(list))
	for i, w := range list {
		out[i] = admWebhook{w.Name, w.ClientConfig, w.Rules, w.FailurePolicy, w.MatchPolicy, w.NamespaceSelector,
			w.ObjectSelector, w.SideEffects, w.TimeoutSeconds, w.AdmissionReviewVersions, w.MatchConditions, w.ReinvocationPolicy}
	}
	return out
}

// webhookOptionsFrom derives the relaxations from the stored configuration.
func webhookOptionsFrom(old []admWebhook) webhookOptions {
	var o webhookOptions
	names := map[string]bool{}
	for _, w := range old {
		if w.sideEffects != nil && !slices.Contains(admSideEffectsNone, string(*w.sideEffects)) {
			o.allowSideEffects = true
		}
		if !slices.ContainsFunc(w.reviewVersions, func(v string) bool { return slices.Contains(admReviewVersions, v) }) {
			o.allowUnknownReviewVersions = true
		}
		o.allowDuplicateNames = o.allowDuplicateNames || names[w.name]
		names[w.name] = true
		for _, sel := range []*metav1.LabelSelector{w.nsSelector, w.objSelector} {
			if sel != nil && len(metav1validation.ValidateLabelSelector(sel, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0 {
				o.allowInvalidSelectorValues = true
			}
		}
	}
	return o
}

func webhookConfiguration(meta *metav1.ObjectMeta, hooks []admWebhook, o webhookOptions) field.ErrorList {
	allErrs := objectMeta(meta, false, NameIsDNSSubdomain)
	names := map[string]bool{}
	for i := range hooks {
		p := field.NewPath("webhooks").Index(i)
		allErrs = append(allErrs, webhookSpec(&hooks[i], o, p)...)
		allErrs = append(allErrs, reviewVersions(hooks[i].reviewVersions, !o.allowUnknownReviewVersions, p.Child("admissionReviewVersions"))...)
		if n := hooks[i].name; n != "" && !o.allowDuplicateNames {
			if names[n] {
				allErrs = append(allErrs, field.Duplicate(p.Child("name"), n))
			}
			names[n] = true
		}
	}
	return allErrs
}

func webhookSpec(w *admWebhook, o webhookOptions, p *field.Path) field.ErrorList {
	// Webhook names must be fully qualified: at least three DNS segments.
	allErrs := utilvalidation.IsFullyQualifiedName(p.Child("name"), w.name)
	for i := range w.rules {
		allErrs = append(allErrs, ruleWithOperations(&w.rules[i], admOperations, p.Child("rules").Index(i))...)
	}
	if w.failurePolicy != nil && !slices.Contains(admFailurePolicies, string(*w.failurePolicy)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("failurePolicy"), *w.failurePolicy, admFailurePolicies))
	}
	if w.matchPolicy != nil && !slices.Contains(admMatchPolicies, string(*w.matchPolicy)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("matchPolicy"), *w.matchPolicy, admMatchPolicies))
	}
	sideEffects := admSideEffectsNone
	if o.allowSideEffects {
		sideEffects = admSideEffectsAll
	}
	switch {
	case w.sideEffects == nil:
		allErrs = append(allErrs, field.Required(p.Child("sideEffects"), fmt.Sprintf("must specify one of %v", strings.Join(sideEffects, ", "))))
	case !slices.Contains(sideEffects, string(*w.sideEffects)):
		allErrs = append(allErrs, field.NotSupported(p.Child("sideEffects"), *w.sideEffects, sideEffects))
	}
	if t := w.timeoutSeconds; t != nil && (*t < 1 || *t > 30) {
		allErrs = append(allErrs, field.Invalid(p.Child("timeoutSeconds"), *t, "the timeout value must be between 1 and 30 seconds"))
	}
	selOpts := metav1validation.LabelSelectorValidationOptions{AllowInvalidLabelValueInSelector: o.allowInvalidSelectorValues}
	if w.nsSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(w.nsSelector, selOpts, p.Child("namespaceSelector"))...)
	}
	if w.objSelector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(w.objSelector, selOpts, p.Child("objectSelector"))...)
	}
	if r := w.reinvocation; r != nil && !slices.Contains(admReinvocation, string(*r)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("reinvocationPolicy"), *r, admReinvocation))
	}
	cc, cp := w.clientConfig, p.Child("clientConfig")
	switch {
	case (cc.URL == nil) == (cc.Service == nil):
		allErrs = append(allErrs, field.Required(cp, "exactly one of url or service is required"))
	case cc.URL != nil:
		allErrs = append(allErrs, webhookURL(cp.Child("url"), *cc.URL)...)
	default:
		allErrs = append(allErrs, webhookService(cp.Child("service"), cc.Service)...)
	}
	return append(allErrs, admMatchConditions(w.matchConditions, p.Child("matchConditions"))...)
}

// webhookURL requires https://host[/path] without user info, query or fragment.
func webhookURL(p *field.Path, raw string) field.ErrorList {
	const form = "; desired format: https://host[/path]"
	u, err := url.Parse(raw)
	if err != nil {
		return field.ErrorList{field.Required(p, "url must be a valid URL: "+err.Error()+form)}
	}
	var allErrs field.ErrorList
	if u.Scheme != "https" {
		allErrs = append(allErrs, field.Invalid(p, u.Scheme, "'https' is the only allowed URL scheme"+form))
	}
	if u.Host == "" {
		allErrs = append(allErrs, field.Invalid(p, u.Host, "host must be specified"+form))
	}
	if u.User != nil {
		allErrs = append(allErrs, field.Invalid(p, u.User.String(), "user information is not permitted in the URL"))
	}
	if u.Fragment != "" {
		allErrs = append(allErrs, field.Invalid(p, u.Fragment, "fragments are not permitted in the URL"))
	}
	if u.RawQuery != "" {
		allErrs = append(allErrs, field.Invalid(p, u.RawQuery, "query parameters are not permitted in the URL"))
	}
	return allErrs
}

// webhookService requires a name, namespace, valid port and a path of DNS segments.
func webhookService(p *field.Path, s *admissionregistrationv1.ServiceReference) field.ErrorList {
	var allErrs field.ErrorList
	if s.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	}
	if s.Namespace == "" {
		allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
	}
	port := int32(443)
	if s.Port != nil {
		port = *s.Port
	}
	if msgs := utilvalidation.IsValidPortNum(int(port)); msgs != nil {
		allErrs = append(allErrs, field.Invalid(p.Child("port"), port, "port is not valid: "+strings.Join(msgs, ", ")))
	}
	if s.Path == nil || *s.Path == "" || *s.Path == "/" {
		return allErrs
	}
	pp, urlPath := p.Child("path"), *s.Path
	if urlPath == "//" {
		return append(allErrs, field.Invalid(pp, urlPath, "segment[0] may not be empty"))
	}
	if !strings.HasPrefix(urlPath, "/") {
		allErrs = append(allErrs, field.Invalid(pp, urlPath, "must start with a '/'"))
	}
	for i, seg := range strings.Split(strings.TrimSuffix(urlPath[1:], "/"), "/") {
		if seg == "" {
			allErrs = append(allErrs, field.Invalid(pp, urlPath, fmt.Sprintf("segment[%d] may not be empty", i)))
			continue
		}
		for _, msg := range utilvalidation.IsDNS1123Subdomain(seg) {
			allErrs = append(allErrs, field.Invalid(pp, urlPath, fmt.Sprintf("segment[%d]: %v", i, msg)))
		}
	}
	return allErrs
}

func reviewVersions(versions []string, requireKnown bool, p *field.Path) field.ErrorList {
	if len(versions) == 0 {
		return field.ErrorList{field.Required(p, fmt.Sprintf("must specify one of %v", strings.Join(admReviewVersions, ", ")))}
	}
	return reviewVersionList(versions, admReviewVersions, requireKnown, p)
}

// reviewVersionList checks a webhook's review versions: unique DNS labels, and at
// least one of known when requireKnown.
func reviewVersionList(versions, known []string, requireKnown bool, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	seen, found := map[string]bool{}, false
	for i, v := range versions {
		if seen[v] {
			allErrs = append(allErrs, field.Invalid(p.Index(i), v, "duplicate version"))
			continue
		}
		seen[v] = true
		for _, msg := range utilvalidation.IsDNS1035Label(v) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), v, msg))
		}
		found = found || slices.Contains(known, v)
	}
	if requireKnown && !found {
		allErrs = append(allErrs, field.Invalid(p, versions, fmt.Sprintf("must include at least one of %v", strings.Join(known, ", "))))
	}
	return allErrs
}

func ruleWithOperations(r *admissionregistrationv1.RuleWithOperations, ops []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(r.Operations) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("operations"), ""))
	}
	if len(r.Operations) > 1 && slices.Contains(r.Operations, admissionregistrationv1.OperationAll) {
		allErrs = append(allErrs, field.Invalid(p.Child("operations"), r.Operations, "if '*' is present, must not specify other operations"))
	}
	for i, op := range r.Operations {
		if !slices.Contains(ops, string(op)) {
			allErrs = append(allErrs, field.NotSupported(p.Child("operations").Index(i), op, ops))
		}
	}
	if len(r.APIGroups) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiGroups"), ""))
	}
	if len(r.APIGroups) > 1 && slices.Contains(r.APIGroups, "*") {
		allErrs = append(allErrs, field.Invalid(p.Child("apiGroups"), r.APIGroups, "if '*' is present, must not specify other API groups"))
	}
	if len(r.APIVersions) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("apiVersions"), ""))
	}
	if len(r.APIVersions) > 1 && slices.Contains(r.APIVersions, "*") {
		allErrs = append(allErrs, field.Invalid(p.Child("apiVersions"), r.APIVersions, "if '*' is present, must not specify other API versions"))
	}
	for i, v := range r.APIVersions {
		if v == "" {
			allErrs = append(allErrs, field.Required(p.Child("apiVersions").Index(i), ""))
		}
	}
	allErrs = append(allErrs, ruleResources(r.Resources, p.Child("resources"))...)
	if r.Scope != nil && !slices.Contains(admScopes, string(*r.Scope)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("scope"), *r.Scope, admScopes))
	}
	return allErrs
}

// ruleResources checks "resource", "resource/sub" and the wildcard combinations.
func ruleResources(resources []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(resources) == 0 {
		allErrs = append(allErrs, field.Required(p, ""))
	}
	wildSub, wildRes := map[string]bool{}, map[string]bool{}
	var doubleWild, singleWild, plain bool
	for i, rs := range resources {
		if rs == "" {
			allErrs = append(allErrs, field.Required(p.Index(i), ""))
			continue
		}
		doubleWild = doubleWild || rs == "*/*"
		singleWild = singleWild || rs == "*"
		res, sub, ok := strings.Cut(rs, "/")
		if !ok {
			plain = rs != "*"
			continue
		}
		if wildSub[res] {
			allErrs = append(allErrs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '%s/*' is present, must not specify %s", res, rs)))
		}
		if wildRes[sub] {
			allErrs = append(allErrs, field.Invalid(p.Index(i), rs, fmt.Sprintf("if '*/%s' is present, must not specify %s", sub, rs)))
		}
		if sub == "*" {
			wildSub[res] = true
		}
		if res == "*" {
			wildRes[sub] = true
		}
	}
	if len(resources) > 1 && doubleWild {
		allErrs = append(allErrs, field.Invalid(p, resources, "if '*/*' is present, must not specify other resources"))
	}
	if singleWild && plain {
		allErrs = append(allErrs, field.Invalid(p, resources, "if '*' is present, must not specify other resources without subresources"))
	}
	return allErrs
}

// admMatchConditions checks names and that expressions are present; the CEL itself is
// not compiled.
func admMatchConditions(conds []admissionregistrationv1.MatchCondition, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(conds) > 64 {
		allErrs = append(allErrs, field.TooMany(p, len(conds), 64))
	}
	names := map[string]bool{}
	for i, c := range conds {
		ip := p.Index(i)
		if strings.TrimSpace(c.Expression) == "" {
			allErrs = append(allErrs, field.Required(ip.Child("expression"), ""))
		}
		if c.Name == "" {
			allErrs = append(allErrs, field.Required(ip.Child("name"), ""))
		} else {
			allErrs = append(allErrs, qualifiedName(c.Name, ip.Child("name"))...)
			if names[c.Name] {
				allErrs = append(allErrs, field.Duplicate(ip.Child("name"), c.Name))
			}
			names[c.Name] = true
		}
	}
	return allErrs
}

// ValidateValidatingWebhookConfiguration checks a configuration on create.
func ValidateValidatingWebhookConfiguration(obj runtime.Object) field.ErrorList {
	return create(obj, func(c *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
		return webhookConfiguration(&c.ObjectMeta, validatingWebhooks(c.Webhooks), webhookOptions{})
	})
}

// ValidateValidatingWebhookConfigurationUpdate tolerates what the stored object
// already got wrong.
func ValidateValidatingWebhookConfigurationUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *admissionregistrationv1.ValidatingWebhookConfiguration) field.ErrorList {
		allErrs := webhookConfiguration(&c.ObjectMeta, validatingWebhooks(c.Webhooks), webhookOptionsFrom(validatingWebhooks(old.Webhooks)))
		return append(allErrs, objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateMutatingWebhookConfiguration checks a configuration on create.
func ValidateMutatingWebhookConfiguration(obj runtime.Object) field.ErrorList {
	return create(obj, func(c *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
		return webhookConfiguration(&c.ObjectMeta, mutatingWebhooks(c.Webhooks), webhookOptions{})
	})
}

// ValidateMutatingWebhookConfigurationUpdate tolerates what the stored object
// already got wrong.
func ValidateMutatingWebhookConfigurationUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(c, old *admissionregistrationv1.MutatingWebhookConfiguration) field.ErrorList {
		allErrs := webhookConfiguration(&c.ObjectMeta, mutatingWebhooks(c.Webhooks), webhookOptionsFrom(mutatingWebhooks(old.Webhooks)))
		return append(allErrs, objectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta)...)
	})
}

func matchResources(m *admissionregistrationv1.MatchResources, ops []string, p *field.Path) field.ErrorList {
	if m == nil {
		return nil
	}
	var allErrs field.ErrorList
	switch {
	case m.MatchPolicy == nil:
		allErrs = append(allErrs, field.Required(p.Child("matchPolicy"), ""))
	case !slices.Contains(admMatchPolicies, string(*m.MatchPolicy)):
		allErrs = append(allErrs, field.NotSupported(p.Child("matchPolicy"), *m.MatchPolicy, admMatchPolicies))
	}
	for _, s := range []struct {
		name string
		sel  *metav1.LabelSelector
	}{{"namespaceSelector", m.NamespaceSelector}, {"objectSelector", m.ObjectSelector}} {
		if s.sel == nil {
			allErrs = append(allErrs, field.Required(p.Child(s.name), ""))
		} else {
			allErrs = append(allErrs, metav1validation.ValidateLabelSelector(s.sel, metav1validation.LabelSelectorValidationOptions{}, p.Child(s.name))...)
		}
	}
	for _, list := range []struct {
		name  string
		rules []admissionregistrationv1.NamedRuleWithOperations
	}{{"resourceRules", m.ResourceRules}, {"excludeResourceRules", m.ExcludeResourceRules}} {
		for i, r := range list.rules {
			rp := p.Child(list.name).Index(i)
			seen := map[string]bool{}
			for j, n := range r.ResourceNames {
				for _, msg := range path.IsValidPathSegmentName(n) {
					allErrs = append(allErrs, field.Invalid(rp.Child("resourceNames").Index(j), n, msg))
				}
				if seen[n] {
					allErrs = append(allErrs, field.Duplicate(rp.Child("resourceNames").Index(j), n))
				}
				seen[n] = true
			}
			allErrs = append(allErrs, ruleWithOperations(&r.RuleWithOperations, admOperations, rp)...)
		}
	}
	if ops != nil {
		for _, r := range m.ResourceRules {
			for _, op := range r.Operations {
				if !slices.Contains(ops, string(op)) {
					allErrs = append(allErrs, field.NotSupported(p.Child("resourceRules", "operations"), op, ops))
				}
			}
		}
	}
	return allErrs
}

// policyCommon checks what validating and mutating policies share.
func policyCommon(failure *admissionregistrationv1.FailurePolicyType, paramKind *admissionregistrationv1.ParamKind,
	match *admissionregistrationv1.MatchResources, conds []admissionregistrationv1.MatchCondition, ops []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	switch {
	case failure == nil:
		allErrs = append(allErrs, field.Required(p.Child("failurePolicy"), ""))
	case !slices.Contains(admFailurePolicies, string(*failure)):
		allErrs = append(allErrs, field.NotSupported(p.Child("failurePolicy"), *failure, admFailurePolicies))
	}
	if paramKind != nil {
		pk := p.Child("paramKind")
		if paramKind.APIVersion == "" {
			allErrs = append(allErrs, field.Required(pk.Child("apiVersion"), ""))
		}
		if paramKind.Kind == "" {
			allErrs = append(allErrs, field.Required(pk.Child("kind"), ""))
		}
	}
	if match == nil {
		allErrs = append(allErrs, field.Required(p.Child("matchConstraints"), ""))
	} else {
		allErrs = append(allErrs, matchResources(match, ops, p.Child("matchConstraints"))...)
		if len(match.ResourceRules) == 0 {
			allErrs = append(allErrs, field.Required(p.Child("matchConstraints", "resourceRules"), ""))
		}
	}
	return append(allErrs, admMatchConditions(conds, p.Child("matchConditions"))...)
}

// ValidateValidatingAdmissionPolicy checks a policy; CEL expressions are required but
// not compiled.
func ValidateValidatingAdmissionPolicy(obj runtime.Object) field.ErrorList {
	return create(obj, validateVAP)
}

func validateVAP(vap *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
	allErrs := objectMeta(&vap.ObjectMeta, false, NameIsDNSSubdomain)
	s, p := vap.Spec, field.NewPath("spec")
	allErrs = append(allErrs, policyCommon(s.FailurePolicy, s.ParamKind, s.MatchConstraints, s.MatchConditions, nil, p)...)
	allErrs = append(allErrs, policyVariables(s.Variables, p.Child("variables"))...)
	if len(s.Validations) == 0 && len(s.AuditAnnotations) == 0 {
		msg := "validations or auditAnnotations must contain at least one item"
		return append(allErrs, field.Required(p.Child("validations"), msg), field.Required(p.Child("auditAnnotations"), msg))
	}
	for i, v := range s.Validations {
		vp := p.Child("validations").Index(i)
		if strings.TrimSpace(v.Expression) == "" {
			allErrs = append(allErrs, field.Required(vp.Child("expression"), "expression is not specified"))
		}
		if v.Reason != nil && !slices.Contains([]string{"Forbidden", "Invalid", "RequestEntityTooLarge"}, string(*v.Reason)) {
			allErrs = append(allErrs, field.NotSupported(vp.Child("reason"), *v.Reason, []string{"Forbidden", "Invalid", "RequestEntityTooLarge"}))
		}
	}
	if len(s.AuditAnnotations) > 20 {
		allErrs = append(allErrs, field.Invalid(p.Child("auditAnnotations"), s.AuditAnnotations, "must not have more than 20 auditAnnotations"))
	}
	keys := map[string]bool{}
	for i, a := range s.AuditAnnotations {
		ap := p.Child("auditAnnotations").Index(i)
		if strings.TrimSpace(a.ValueExpression) == "" {
			allErrs = append(allErrs, field.Required(ap.Child("valueExpression"), "valueExpression is not specified"))
		}
		if keys[a.Key] {
			allErrs = append(allErrs, field.Duplicate(ap.Child("key"), a.Key))
		}
		keys[a.Key] = true
	}
	return allErrs
}

func policyVariables(vars []admissionregistrationv1.Variable, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, v := range vars {
		if v.Name == "" {
			allErrs = append(allErrs, field.Required(p.Index(i).Child("name"), "name is not specified"))
		}
		if strings.TrimSpace(v.Expression) == "" {
			allErrs = append(allErrs, field.Required(p.Index(i).Child("expression"), "expression is not specified"))
		}
	}
	return allErrs
}

// ValidateValidatingAdmissionPolicyUpdate revalidates the policy.
func ValidateValidatingAdmissionPolicyUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(vap, old *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
		return append(validateVAP(vap), objectMetaUpdate(&vap.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateValidatingAdmissionPolicyStatusUpdate checks the status conditions.
func ValidateValidatingAdmissionPolicyStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(vap, old *admissionregistrationv1.ValidatingAdmissionPolicy) field.ErrorList {
		allErrs := objectMetaUpdate(&vap.ObjectMeta, &old.ObjectMeta)
		return append(allErrs, metav1validation.ValidateConditions(vap.Status.Conditions, field.NewPath("status", "conditions"))...)
	})
}

// admParamRef requires exactly one of name and selector and a parameterNotFoundAction.
func admParamRef(pr *admissionregistrationv1.ParamRef, p *field.Path) field.ErrorList {
	if pr == nil {
		return nil
	}
	var allErrs field.ErrorList
	if pr.Name != "" {
		for _, msg := range path.IsValidPathSegmentName(pr.Name) {
			allErrs = append(allErrs, field.Invalid(p.Child("name"), pr.Name, msg))
		}
		if pr.Selector != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("name"), `name and selector are mutually exclusive`))
		}
	}
	if pr.Selector != nil {
		allErrs = append(allErrs, metav1validation.ValidateLabelSelector(pr.Selector, metav1validation.LabelSelectorValidationOptions{}, p.Child("selector"))...)
		if pr.Name != "" {
			allErrs = append(allErrs, field.Forbidden(p.Child("selector"), `name and selector are mutually exclusive`))
		}
	}
	if pr.Name == "" && pr.Selector == nil {
		allErrs = append(allErrs, field.Required(p, `one of name or selector must be specified`))
	}
	actions := []string{string(admissionregistrationv1.DenyAction), string(admissionregistrationv1.AllowAction)}
	switch a := pr.ParameterNotFoundAction; {
	case a == nil || *a == "":
		allErrs = append(allErrs, field.Required(p.Child("parameterNotFoundAction"), ""))
	case !slices.Contains(actions, string(*a)):
		allErrs = append(allErrs, field.NotSupported(p.Child("parameterNotFoundAction"), a, actions))
	}
	return allErrs
}

func bindingCommon(policyName string, pr *admissionregistrationv1.ParamRef, m *admissionregistrationv1.MatchResources, ops []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if policyName == "" {
		allErrs = append(allErrs, field.Required(p.Child("policyName"), ""))
	} else {
		for _, msg := range NameIsDNSSubdomain(policyName, false) {
			allErrs = append(allErrs, field.Invalid(p.Child("policyName"), policyName, msg))
		}
	}
	allErrs = append(allErrs, admParamRef(pr, p.Child("paramRef"))...)
	return append(allErrs, matchResources(m, ops, p.Child("matchResources"))...)
}

// ValidateValidatingAdmissionPolicyBinding checks a binding on create and update.
func ValidateValidatingAdmissionPolicyBinding(obj runtime.Object) field.ErrorList {
	return create(obj, validateVAPBinding)
}

func validateVAPBinding(b *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := objectMeta(&b.ObjectMeta, false, NameIsDNSSubdomain)
	p := field.NewPath("spec")
	allErrs = append(allErrs, bindingCommon(b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources, nil, p)...)
	ap := p.Child("validationActions")
	seen := map[admissionregistrationv1.ValidationAction]bool{}
	for i, a := range b.Spec.ValidationActions {
		if !slices.Contains(admActions, string(a)) {
			allErrs = append(allErrs, field.NotSupported(ap.Index(i), a, admActions))
		}
		if seen[a] {
			allErrs = append(allErrs, field.Duplicate(ap.Index(i), a))
		}
		seen[a] = true
	}
	if seen[admissionregistrationv1.Deny] && seen[admissionregistrationv1.Warn] {
		allErrs = append(allErrs, field.Invalid(ap, b.Spec.ValidationActions, "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)"))
	}
	if len(seen) == 0 {
		allErrs = append(allErrs, field.Required(ap, "at least one validation action is required"))
	}
	return allErrs
}

// ValidateValidatingAdmissionPolicyBindingUpdate revalidates the binding.
func ValidateValidatingAdmissionPolicyBindingUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(b, old *admissionregistrationv1.ValidatingAdmissionPolicyBinding) field.ErrorList {
		return append(validateVAPBinding(b), objectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateMutatingAdmissionPolicy checks a policy; CEL is required but not compiled.
func ValidateMutatingAdmissionPolicy(obj runtime.Object) field.ErrorList {
	return create(obj, validateMAP)
}

func validateMAP(m *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
	allErrs := objectMeta(&m.ObjectMeta, false, NameIsDNSSubdomain)
	s, p := m.Spec, field.NewPath("spec")
	allErrs = append(allErrs, policyCommon(s.FailurePolicy, s.ParamKind, s.MatchConstraints, s.MatchConditions, admMutatingOps, p)...)
	allErrs = append(allErrs, policyVariables(s.Variables, p.Child("variables"))...)
	if len(s.Mutations) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("mutations"), "mutations must contain at least one item"))
	}
	for i, mu := range s.Mutations {
		mp := p.Child("mutations").Index(i)
		switch mu.PatchType {
		case "":
			allErrs = append(allErrs, field.Required(mp.Child("patchType"), ""))
		case admissionregistrationv1.PatchTypeJSONPatch:
			if mu.JSONPatch == nil {
				allErrs = append(allErrs, field.Required(mp.Child("jsonPatch"), "must be specified when patchType is JSONPatch"))
			}
			if mu.ApplyConfiguration != nil {
				allErrs = append(allErrs, field.Invalid(mp.Child("applyConfiguration"), "{applyConfiguration}", "must not be specified when patchType is JSONPatch"))
			}
		case admissionregistrationv1.PatchTypeApplyConfiguration:
			if mu.ApplyConfiguration == nil {
				allErrs = append(allErrs, field.Required(mp.Child("applyConfiguration"), "must be specified when patchType is ApplyConfiguration"))
			}
			if mu.JSONPatch != nil {
				allErrs = append(allErrs, field.Invalid(mp.Child("jsonPatch"), "{jsonPatch}", "must not be specified when patchType is ApplyConfiguration"))
			}
		default:
			allErrs = append(allErrs, field.NotSupported(mp.Child("patchType"), mu.PatchType, admPatchTypes))
		}
	}
	switch {
	case s.ReinvocationPolicy == "":
		allErrs = append(allErrs, field.Required(p.Child("reinvocationPolicy"), ""))
	case !slices.Contains(admReinvocation, string(s.ReinvocationPolicy)):
		allErrs = append(allErrs, field.NotSupported(p.Child("reinvocationPolicy"), s.ReinvocationPolicy, admReinvocation))
	}
	return allErrs
}

// ValidateMutatingAdmissionPolicyUpdate revalidates the policy.
func ValidateMutatingAdmissionPolicyUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(m, old *admissionregistrationv1.MutatingAdmissionPolicy) field.ErrorList {
		return append(validateMAP(m), objectMetaUpdate(&m.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateMutatingAdmissionPolicyBinding checks a binding on create and update.
func ValidateMutatingAdmissionPolicyBinding(obj runtime.Object) field.ErrorList {
	return create(obj, validateMAPBinding)
}

func validateMAPBinding(b *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
	allErrs := objectMeta(&b.ObjectMeta, false, NameIsDNSSubdomain)
	return append(allErrs, bindingCommon(b.Spec.PolicyName, b.Spec.ParamRef, b.Spec.MatchResources, admMutatingOps, field.NewPath("spec"))...)
}

// ValidateMutatingAdmissionPolicyBindingUpdate revalidates the binding.
func ValidateMutatingAdmissionPolicyBindingUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(b, old *admissionregistrationv1.MutatingAdmissionPolicyBinding) field.ErrorList {
		return append(validateMAPBinding(b), objectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
	})
}
