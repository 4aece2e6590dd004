package validation

import (
	"fmt"
	"math"
	"slices"
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Allowed values, sorted as upstream's messages list them.
var (
	fcVerbs         = []string{"create", "delete", "deletecollection", "get", "list", "patch", "proxy", "update", "watch"}
	fcSubjectKinds  = []string{"Group", "ServiceAccount", "User"}
	fcDistinguisher = []string{"ByNamespace", "ByUser"}
	fcLevelTypes    = []string{"Exempt", "Limited"}
	fcLimitTypes    = []string{"Queue", "Reject"}
)

const (
	fcMaxPrecedence = 10000
	fcMaxQueues     = 10 * 1000 * 1000
	fcMaxHashBits   = 60
	fcNsErrIntro    = "each member of this list must be '*' or a DNS-1123 label; "
)

// ValidateFlowSchema checks a flow schema on create and update. The fixed specs of
// the mandatory schemas (exempt, catch-all) are not enforced.
func ValidateFlowSchema(obj runtime.Object) field.ErrorList {
	return create(obj, validateFlowSchema)
}

func validateFlowSchema(fs *flowcontrolv1.FlowSchema) field.ErrorList {
	allErrs := objectMeta(&fs.ObjectMeta, false, NameIsDNSSubdomain)
	s, p := fs.Spec, field.NewPath("spec")
	mp := p.Child("matchingPrecedence")
	switch {
	case s.MatchingPrecedence <= 0:
		allErrs = append(allErrs, field.Invalid(mp, s.MatchingPrecedence, "must be a positive value"))
	case s.MatchingPrecedence > fcMaxPrecedence:
		allErrs = append(allErrs, field.Invalid(mp, s.MatchingPrecedence, fmt.Sprintf("must not be greater than %v", fcMaxPrecedence)))
	case s.MatchingPrecedence == 1 && fs.Name != flowcontrolv1.FlowSchemaNameExempt:
		allErrs = append(allErrs, field.Invalid(mp, s.MatchingPrecedence, "only the schema named 'exempt' may have matchingPrecedence 1"))
	}
	if d := s.DistinguisherMethod; d != nil && !slices.Contains(fcDistinguisher, string(d.Type)) {
		allErrs = append(allErrs, field.NotSupported(p.Child("distinguisherMethod", "type"), d, fcDistinguisher))
	}
	plp := p.Child("priorityLevelConfiguration", "name")
	if pl := s.PriorityLevelConfiguration.Name; pl == "" {
		allErrs = append(allErrs, field.Required(plp, "must reference a priority level"))
	} else {
		for _, msg := range NameIsDNSSubdomain(pl, false) {
			allErrs = append(allErrs, field.Invalid(plp, pl, msg))
		}
	}
	for i := range s.Rules {
		allErrs = append(allErrs, flowRule(&s.Rules[i], p.Child("rules").Index(i))...)
	}
	return append(allErrs, flowSchemaStatus(&fs.Status)...)
}

func flowRule(r *flowcontrolv1.PolicyRulesWithSubjects, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if len(r.Subjects) == 0 {
		allErrs = append(allErrs, field.Required(p.Child("subjects"), "subjects must contain at least one value"))
	}
	for i := range r.Subjects {
		allErrs = append(allErrs, flowSubject(&r.Subjects[i], p.Child("subjects").Index(i))...)
	}
	if len(r.ResourceRules) == 0 && len(r.NonResourceRules) == 0 {
		allErrs = append(allErrs, field.Required(p, "at least one of resourceRules and nonResourceRules has to be non-empty"))
	}
	for i, rr := range r.ResourceRules {
		rp := p.Child("resourceRules").Index(i)
		allErrs = append(allErrs, flowVerbs(rr.Verbs, rp.Child("verbs"))...)
		allErrs = append(allErrs, flowWildList(rr.APIGroups, rp.Child("apiGroups"), "resource rules must supply at least one api group", "api groups")...)
		allErrs = append(allErrs, flowWildList(rr.Resources, rp.Child("resources"), "resource rules must supply at least one resource", "resources")...)
		np := rp.Child("namespaces")
		switch {
		case len(rr.Namespaces) == 0 && !rr.ClusterScope:
			allErrs = append(allErrs, field.Required(np, "resource rules that are not cluster scoped must supply at least one namespace"))
		case slices.Contains(rr.Namespaces, "*"):
			if len(rr.Namespaces) > 1 {
				allErrs = append(allErrs, field.Invalid(np, rr.Namespaces, "if '*' is present, must not specify other namespaces"))
			}
		default:
			for j, ns := range rr.Namespaces {
				for _, msg := range apivalidation.ValidateNamespaceName(ns, false) {
					allErrs = append(allErrs, field.Invalid(np.Index(j), ns, fcNsErrIntro+msg))
				}
			}
		}
	}
	for i, nr := range r.NonResourceRules {
		np := p.Child("nonResourceRules").Index(i)
		allErrs = append(allErrs, flowVerbs(nr.Verbs, np.Child("verbs"))...)
		up := np.Child("nonResourceURLs")
		switch {
		case len(nr.NonResourceURLs) == 0:
			allErrs = append(allErrs, field.Required(up, "nonResourceURLs must contain at least one value"))
		case slices.Contains(nr.NonResourceURLs, "*"):
			if len(nr.NonResourceURLs) > 1 {
				allErrs = append(allErrs, field.Invalid(up, nr.NonResourceURLs, "if '*' is present, must not specify other non-resource URLs"))
			}
		default:
			for j, u := range nr.NonResourceURLs {
				if msg := nonResourceURL(u); msg != "" {
					allErrs = append(allErrs, field.Invalid(up.Index(j), u, msg))
				}
			}
		}
	}
	return allErrs
}

func flowVerbs(verbs []string, p *field.Path) field.ErrorList {
	switch {
	case len(verbs) == 0:
		return field.ErrorList{field.Required(p, "verbs must contain at least one value")}
	case slices.Contains(verbs, "*"):
		if len(verbs) > 1 {
			return field.ErrorList{field.Invalid(p, verbs, "if '*' is present, must not specify other verbs")}
		}
	default:
		for _, v := range verbs {
			if !slices.Contains(fcVerbs, v) {
				return field.ErrorList{field.NotSupported(p, verbs, fcVerbs)}
			}
		}
	}
	return nil
}

func flowWildList(list []string, p *field.Path, required, what string) field.ErrorList {
	switch {
	case len(list) == 0:
		return field.ErrorList{field.Required(p, required)}
	case len(list) > 1 && slices.Contains(list, "*"):
		return field.ErrorList{field.Invalid(p, list, "if '*' is present, must not specify other "+what)}
	}
	return nil
}

// nonResourceURL returns why a non-resource URL pattern is wrong, or "".
func nonResourceURL(u string) string {
	switch {
	case u == "":
		return "must not be empty"
	case u == "/":
		return ""
	case !strings.HasPrefix(u, "/"):
		return "must start with slash"
	case strings.Contains(u, " "):
		return "must not contain white-space"
	case strings.Contains(u, "//"):
		return "must not contain double slash"
	}
	if n := strings.Count(u, "*"); n > 1 || (n == 1 && !strings.HasSuffix(u, "/*")) {
		return "wildcard can only do suffix matching"
	}
	return ""
}

func flowSubject(s *flowcontrolv1.Subject, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	forbid := func(present bool, name, kind string) {
		if present {
			allErrs = append(allErrs, field.Forbidden(p.Child(name), fmt.Sprintf("%s is forbidden when subject kind is not '%s'", name, kind)))
		}
	}
	switch s.Kind {
	case flowcontrolv1.SubjectKindServiceAccount:
		sp := p.Child("serviceAccount")
		if sa := s.ServiceAccount; sa == nil {
			allErrs = append(allErrs, field.Required(sp, "serviceAccount is required when subject kind is 'ServiceAccount'"))
		} else {
			if sa.Name == "" {
				allErrs = append(allErrs, field.Required(sp.Child("name"), ""))
			} else if sa.Name != flowcontrolv1.NameAll {
				for _, msg := range apivalidation.ValidateServiceAccountName(sa.Name, false) {
					allErrs = append(allErrs, field.Invalid(sp.Child("name"), sa.Name, msg))
				}
			}
			if sa.Namespace == "" {
				allErrs = append(allErrs, field.Required(sp.Child("namespace"), "must specify namespace for service account"))
			}
			for _, msg := range apivalidation.ValidateNamespaceName(sa.Namespace, false) {
				if sa.Namespace != "" {
					allErrs = append(allErrs, field.Invalid(sp.Child("namespace"), sa.Namespace, msg))
				}
			}
		}
		forbid(s.User != nil, "user", "User")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindUser:
		if s.User == nil {
			allErrs = append(allErrs, field.Required(p.Child("user"), "user is required when subject kind is 'User'"))
		} else if s.User.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("user", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.Group != nil, "group", "Group")
	case flowcontrolv1.SubjectKindGroup:
		if s.Group == nil {
			allErrs = append(allErrs, field.Required(p.Child("group"), "group is required when subject kind is 'Group'"))
		} else if s.Group.Name == "" {
			allErrs = append(allErrs, field.Required(p.Child("group", "name"), ""))
		}
		forbid(s.ServiceAccount != nil, "serviceAccount", "ServiceAccount")
		forbid(s.User != nil, "user", "User")
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("kind"), s.Kind, fcSubjectKinds))
	}
	return allErrs
}

func flowSchemaStatus(st *flowcontrolv1.FlowSchemaStatus) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("status", "conditions")
	seen := map[flowcontrolv1.FlowSchemaConditionType]bool{}
	for i, c := range st.Conditions {
		if seen[c.Type] {
			allErrs = append(allErrs, field.Duplicate(p.Index(i).Child("type"), c.Type))
		}
		seen[c.Type] = true
		if c.Type == "" {
			allErrs = append(allErrs, field.Required(p.Index(i).Child("type"), ""))
		}
	}
	return allErrs
}

// ValidateFlowSchemaUpdate validates the new object as on create.
func ValidateFlowSchemaUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(fs, old *flowcontrolv1.FlowSchema) field.ErrorList {
		return append(validateFlowSchema(fs), objectMetaUpdate(&fs.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidateFlowSchemaStatusUpdate checks the conditions.
func ValidateFlowSchemaStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(fs, old *flowcontrolv1.FlowSchema) field.ErrorList {
		return append(objectMetaUpdate(&fs.ObjectMeta, &old.ObjectMeta), flowSchemaStatus(&fs.Status)...)
	})
}

// ValidatePriorityLevelConfiguration checks a priority level on create and update;
// the fixed specs of the mandatory levels are not enforced.
func ValidatePriorityLevelConfiguration(obj runtime.Object) field.ErrorList {
	return create(obj, validatePriorityLevel)
}

func validatePriorityLevel(pl *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
	allErrs := objectMeta(&pl.ObjectMeta, false, NameIsDNSSubdomain)
	const preserveZero = "flowcontrol.k8s.io/v1beta3-preserve-zero-concurrency-shares"
	if _, ok := pl.Annotations[preserveZero]; ok {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("metadata", "annotations"), fmt.Sprintf("annotation '%s' is forbidden", preserveZero)))
	}
	s, p := pl.Spec, field.NewPath("spec")
	if (pl.Name == flowcontrolv1.PriorityLevelConfigurationNameExempt) != (s.Type == flowcontrolv1.PriorityLevelEnablementExempt) {
		allErrs = append(allErrs, field.Invalid(p.Child("type"), s.Type, "must be 'Exempt' if and only if `name` is 'exempt'"))
	}
	switch s.Type {
	case flowcontrolv1.PriorityLevelEnablementExempt:
		if s.Limited != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("limited"), "must be nil if the type is not Limited"))
		}
		if e := s.Exempt; e != nil {
			ep := p.Child("exempt")
			if n := e.NominalConcurrencyShares; n != nil && *n < 0 {
				allErrs = append(allErrs, field.Invalid(ep.Child("nominalConcurrencyShares"), *n, "must be a non-negative integer"))
			}
			allErrs = append(allErrs, lendablePercent(e.LendablePercent, ep.Child("lendablePercent"))...)
		}
	case flowcontrolv1.PriorityLevelEnablementLimited:
		if s.Exempt != nil {
			allErrs = append(allErrs, field.Forbidden(p.Child("exempt"), "must be nil if the type is Limited"))
		}
		if s.Limited == nil {
			allErrs = append(allErrs, field.Required(p.Child("limited"), "must not be empty when type is Limited"))
		} else {
			allErrs = append(allErrs, limitedLevel(s.Limited, p.Child("limited"))...)
		}
	case "":
		allErrs = append(allErrs, field.Required(p.Child("type"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(p.Child("type"), s.Type, fcLevelTypes))
	}
	return allErrs
}

func lendablePercent(v *int32, p *field.Path) field.ErrorList {
	if v != nil && (*v < 0 || *v > 100) {
		return field.ErrorList{field.Invalid(p, *v, "must be between 0 and 100, inclusive")}
	}
	return nil
}

func limitedLevel(l *flowcontrolv1.LimitedPriorityLevelConfiguration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if n := l.NominalConcurrencyShares; n != nil && *n < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("nominalConcurrencyShares"), *n, "must be a non-negative integer"))
	}
	lr, lp := l.LimitResponse, p.Child("limitResponse")
	switch lr.Type {
	case flowcontrolv1.LimitResponseTypeReject:
		if lr.Queuing != nil {
			allErrs = append(allErrs, field.Forbidden(lp.Child("queuing"), "must be nil if limited.limitResponse.type is not Limited"))
		}
	case flowcontrolv1.LimitResponseTypeQueue:
		if lr.Queuing == nil {
			allErrs = append(allErrs, field.Required(lp.Child("queuing"), "must not be empty if limited.limitResponse.type is Limited"))
		} else {
			allErrs = append(allErrs, queuing(lr.Queuing, lp.Child("queuing"))...)
		}
	case "":
		allErrs = append(allErrs, field.Required(lp.Child("type"), ""))
	default:
		allErrs = append(allErrs, field.NotSupported(lp.Child("type"), lr.Type, fcLimitTypes))
	}
	allErrs = append(allErrs, lendablePercent(l.LendablePercent, p.Child("lendablePercent"))...)
	if b := l.BorrowingLimitPercent; b != nil && *b < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("borrowingLimitPercent"), *b, "if specified, must be a non-negative integer"))
	}
	return allErrs
}

// queuing checks the shuffle-sharding parameters.
func queuing(q *flowcontrolv1.QueuingConfiguration, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if q.QueueLengthLimit <= 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("queueLengthLimit"), q.QueueLengthLimit, "must be positive"))
	}
	switch {
	case q.Queues <= 0:
		allErrs = append(allErrs, field.Invalid(p.Child("queues"), q.Queues, "must be positive"))
	case q.Queues > fcMaxQueues:
		allErrs = append(allErrs, field.Invalid(p.Child("queues"), q.Queues, fmt.Sprintf("must not be greater than %d", fcMaxQueues)))
	}
	hp := p.Child("handSize")
	switch {
	case q.HandSize <= 0:
		allErrs = append(allErrs, field.Invalid(hp, q.HandSize, "must be positive"))
	case q.HandSize > q.Queues:
		allErrs = append(allErrs, field.Invalid(hp, q.HandSize, fmt.Sprintf("should not be greater than queues (%d)", q.Queues)))
	case int(math.Ceil(math.Log2(float64(q.Queues))*float64(q.HandSize))) > fcMaxHashBits:
		allErrs = append(allErrs, field.Invalid(hp, q.HandSize, fmt.Sprintf("required entropy bits of deckSize %d and handSize %d should not be greater than %d", q.Queues, q.HandSize, fcMaxHashBits)))
	}
	return allErrs
}

// ValidatePriorityLevelConfigurationUpdate validates the new object as on create.
func ValidatePriorityLevelConfigurationUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pl, old *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
		return append(validatePriorityLevel(pl), objectMetaUpdate(&pl.ObjectMeta, &old.ObjectMeta)...)
	})
}

// ValidatePriorityLevelConfigurationStatusUpdate checks condition types are unique.
func ValidatePriorityLevelConfigurationStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(pl, old *flowcontrolv1.PriorityLevelConfiguration) field.ErrorList {
		allErrs := objectMetaUpdate(&pl.ObjectMeta, &old.ObjectMeta)
		p := field.NewPath("status", "conditions")
		seen := map[flowcontrolv1.PriorityLevelConfigurationConditionType]bool{}
		for i, c := range pl.Status.Conditions {
			if seen[c.Type] {
				allErrs = append(allErrs, field.Duplicate(p.Index(i).Child("type"), c.Type))
			}
			seen[c.Type] = true
			if c.Type == "" {
				allErrs = append(allErrs, field.Required(p.Index(i).Child("type"), ""))
			}
		}
		return allErrs
	})
}
