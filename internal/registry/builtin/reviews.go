package builtin

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// reviews serves the create-only review resources of authentication.k8s.io and
// authorization.k8s.io: nothing is stored, the response is the request with its status
// filled in.
func reviews(deps Deps) []*registry.Resource {
	review := func(gv schema.GroupVersion, kind, name string, namespaced bool, create func(ctx context.Context, ns string, obj runtime.Object) (runtime.Object, error)) *registry.Resource {
		return &registry.Resource{
			GroupVersion: gv, Kind: kind, Name: name, SingularName: strings.ToLower(kind), Namespaced: namespaced,
			StorageKind: gv.WithKind(kind), Verbs: []string{"create"},
			Create: func(ctx context.Context, ns string, obj runtime.Object, _ bool) (runtime.Object, error) {
				return create(ctx, ns, obj)
			},
		}
	}
	r := reviewer{deps: deps}
	authn, authz := authenticationv1.SchemeGroupVersion, authorizationv1.SchemeGroupVersion
	return []*registry.Resource{
		review(authn, "SelfSubjectReview", "selfsubjectreviews", false, r.selfSubjectReview),
		review(authn, "TokenReview", "tokenreviews", false, r.tokenReview),
		review(authz, "LocalSubjectAccessReview", "localsubjectaccessreviews", true, r.localSubjectAccessReview),
		review(authz, "SelfSubjectAccessReview", "selfsubjectaccessreviews", false, r.selfSubjectAccessReview),
		review(authz, "SelfSubjectRulesReview", "selfsubjectrulesreviews", false, r.selfSubjectRulesReview),
		review(authz, "SubjectAccessReview", "subjectaccessreviews", false, r.subjectAccessReview),
	}
}

type reviewer struct{ deps Deps }

func userFrom(ctx context.Context) (*request.User, error) {
	u, ok := request.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	return u, nil
}

func (r reviewer) selfSubjectReview(ctx context.Context, _ string, _ runtime.Object) (runtime.Object, error) {
	u, err := userFrom(ctx)
	if err != nil {
		return nil, err
	}
	return &authenticationv1.SelfSubjectReview{
		// Upstream's answer names its kind, where most writes leave that to the encoder.
		TypeMeta:   metav1.TypeMeta{APIVersion: authenticationv1.SchemeGroupVersion.String(), Kind: "SelfSubjectReview"},
		ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(time.Now())},
		Status:     authenticationv1.SelfSubjectReviewStatus{UserInfo: userInfo(u)},
	}, nil
}

func userInfo(u *request.User) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups, Extra: map[string]authenticationv1.ExtraValue{}}
	for k, v := range u.Extra {
		info.Extra[k] = v
	}
	return info
}

var errInvalidBearerToken = errors.New("invalid bearer token")

func (r reviewer) tokenReview(ctx context.Context, ns string, obj runtime.Object) (runtime.Object, error) {
	tr := obj.(*authenticationv1.TokenReview)
	if ns != "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is not allowed on this type: %v", ns))
	}
	if tr.Spec.Token == "" {
		return nil, apierrors.NewBadRequest("token is required for TokenReview in authentication")
	}
	if r.deps.TokenReviewer == nil {
		return tr, nil
	}
	auds := tr.Spec.Audiences
	if len(auds) == 0 {
		auds = r.deps.APIAudiences
	}
	u, ok, err := r.deps.TokenReviewer(ctx, tr.Spec.Token, auds)
	tr.Status.Authenticated = ok
	if !ok && err == nil {
		// Upstream reviews the token as a request's bearer token, whose
		// authenticator names a token no one accepted so.
		err = errInvalidBearerToken
	}
	if err != nil {
		tr.Status.Error = err.Error()
	}
	if ok && u != nil {
		tr.Status.User = userInfo(u)
		tr.Status.Audiences = auds
	}
	return tr, nil
}

func (r reviewer) subjectAccessReview(ctx context.Context, _ string, obj runtime.Object) (runtime.Object, error) {
	sar := obj.(*authorizationv1.SubjectAccessReview)
	errs := validateSubjectAccessReviewSpec(&sar.Spec)
	errs = append(errs, metadataMustBeEmpty(sar.ObjectMeta, false)...)
	if len(errs) > 0 {
		return nil, invalidReview("SubjectAccessReview", errs)
	}
	sar.Status = r.decide(ctx, specUser(&sar.Spec), sar.Spec.ResourceAttributes, sar.Spec.NonResourceAttributes)
	return sar, nil
}

func (r reviewer) localSubjectAccessReview(ctx context.Context, ns string, obj runtime.Object) (runtime.Object, error) {
	sar := obj.(*authorizationv1.LocalSubjectAccessReview)
	errs := validateSubjectAccessReviewSpec(&sar.Spec)
	errs = append(errs, metadataMustBeEmpty(sar.ObjectMeta, true)...)
	if ra := sar.Spec.ResourceAttributes; ra != nil && ra.Namespace != sar.Namespace {
		errs = append(errs, field.Invalid(field.NewPath("spec.resourceAttributes.namespace"), ra.Namespace, "must match metadata.namespace"))
	}
	if sar.Spec.NonResourceAttributes != nil {
		errs = append(errs, field.Invalid(field.NewPath("spec.nonResourceAttributes"), sar.Spec.NonResourceAttributes, "disallowed on this kind of request"))
	}
	if len(errs) > 0 {
		return nil, invalidReview("LocalSubjectAccessReview", errs)
	}
	if ns == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("namespace is required on this type: %v", ns))
	}
	if ns != sar.Namespace {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("spec.resourceAttributes.namespace must match namespace: %v", ns))
	}
	sar.Status = r.decide(ctx, specUser(&sar.Spec), sar.Spec.ResourceAttributes, nil)
	return sar, nil
}

func (r reviewer) selfSubjectAccessReview(ctx context.Context, _ string, obj runtime.Object) (runtime.Object, error) {
	sar := obj.(*authorizationv1.SelfSubjectAccessReview)
	errs := validateAttributesUnion(sar.Spec.ResourceAttributes, sar.Spec.NonResourceAttributes)
	errs = append(errs, metadataMustBeEmpty(sar.ObjectMeta, false)...)
	if len(errs) > 0 {
		return nil, invalidReview("SelfSubjectAccessReview", errs)
	}
	u, err := userFrom(ctx)
	if err != nil {
		return nil, err
	}
	sar.Status = r.decide(ctx, u, sar.Spec.ResourceAttributes, sar.Spec.NonResourceAttributes)
	return sar, nil
}

func (r reviewer) selfSubjectRulesReview(ctx context.Context, _ string, obj runtime.Object) (runtime.Object, error) {
	srr := obj.(*authorizationv1.SelfSubjectRulesReview)
	u, err := userFrom(ctx)
	if err != nil {
		return nil, err
	}
	if srr.Spec.Namespace == "" {
		return nil, apierrors.NewBadRequest("no namespace on request")
	}
	out := &authorizationv1.SelfSubjectRulesReview{}
	resolver, ok := r.deps.Authorizer.(authz.RuleResolver)
	if !ok {
		out.Status.Incomplete = true
		return out, nil
	}
	res, nonRes, incomplete, err := resolver.RulesFor(ctx, u, srr.Spec.Namespace)
	// Empty lists, not nulls, as upstream answers.
	out.Status = authorizationv1.SubjectRulesReviewStatus{
		ResourceRules: append([]authorizationv1.ResourceRule{}, res...), NonResourceRules: append([]authorizationv1.NonResourceRule{}, nonRes...),
		Incomplete: incomplete,
	}
	if err != nil {
		out.Status.EvaluationError = err.Error()
	}
	return out, nil
}

// decide asks the authorizer about u doing what the attributes describe.
func (r reviewer) decide(ctx context.Context, u *request.User, ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes) authorizationv1.SubjectAccessReviewStatus {
	info := &request.Info{}
	var evalErrs []string
	if ra != nil {
		version := ra.Version
		if version == "" {
			version = "*"
		}
		info = &request.Info{IsResourceRequest: true, Verb: ra.Verb, APIGroup: ra.Group, APIVersion: version,
			Namespace: ra.Namespace, Resource: ra.Resource, Subresource: ra.Subresource, Name: ra.Name}
		info.FieldSelector, info.LabelSelector = rawSelectors(ra)
		evalErrs = selectorErrors(ra)
	} else if nra != nil {
		info = &request.Info{Path: nra.Path, Verb: nra.Verb}
	}
	var st authorizationv1.SubjectAccessReviewStatus
	if r.deps.Authorizer == nil {
		return st
	}
	d, reason, err := r.deps.Authorizer.Authorize(ctx, authz.Attributes{User: u, Info: info})
	st.Allowed, st.Denied, st.Reason = d == authz.Allow, d == authz.Deny, reason
	if err != nil {
		evalErrs = append([]string{err.Error()}, evalErrs...)
	}
	st.EvaluationError = strings.Join(evalErrs, "; ")
	return st
}

// rawSelectors renders the review's selectors in query form, for authorizers that
// decide on them (the Node authorizer's pod lists).
func rawSelectors(ra *authorizationv1.ResourceAttributes) (fieldSel, labelSel string) {
	if fs := ra.FieldSelector; fs != nil {
		fieldSel = fs.RawSelector
		var parts []string
		for _, r := range fs.Requirements {
			if len(r.Values) != 1 {
				continue
			}
			switch r.Operator {
			case metav1.FieldSelectorOpIn:
				parts = append(parts, r.Key+"="+r.Values[0])
			case metav1.FieldSelectorOpNotIn:
				parts = append(parts, r.Key+"!="+r.Values[0])
			}
		}
		if len(parts) > 0 {
			fieldSel = strings.Join(parts, ",")
		}
	}
	if ls := ra.LabelSelector; ls != nil {
		labelSel = ls.RawSelector
		if len(ls.Requirements) > 0 {
			if sel, err := metav1.LabelSelectorAsSelector(&metav1.LabelSelector{MatchExpressions: ls.Requirements}); err == nil {
				labelSel = sel.String()
			}
		}
	}
	return fieldSel, labelSel
}

// selectorErrors reports selectors the authorizer ignores because they do not parse,
// worded as upstream.
func selectorErrors(ra *authorizationv1.ResourceAttributes) []string {
	var out []string
	if fs := ra.FieldSelector; fs != nil && fs.RawSelector != "" {
		if _, err := fields.ParseSelector(fs.RawSelector); err != nil {
			out = append(out, "spec.resourceAttributes.fieldSelector ignored due to parse error")
		}
	}
	if ls := ra.LabelSelector; ls != nil && ls.RawSelector != "" {
		if _, err := labels.Parse(ls.RawSelector); err != nil {
			out = append(out, "spec.resourceAttributes.labelSelector ignored due to parse error")
		}
	}
	return out
}

func specUser(spec *authorizationv1.SubjectAccessReviewSpec) *request.User {
	u := &request.User{Name: spec.User, UID: spec.UID, Groups: spec.Groups}
	if spec.Extra != nil {
		u.Extra = map[string][]string{}
		for k, v := range spec.Extra {
			u.Extra[k] = v
		}
	}
	return u
}

func validateSubjectAccessReviewSpec(spec *authorizationv1.SubjectAccessReviewSpec) field.ErrorList {
	errs := validateAttributesUnion(spec.ResourceAttributes, spec.NonResourceAttributes)
	if spec.User == "" && len(spec.Groups) == 0 {
		errs = append(errs, field.Invalid(field.NewPath("spec", "user"), spec.User, "at least one of user or group must be specified"))
	}
	return append(errs, validateSelectorAttributes(spec.ResourceAttributes)...)
}

func validateAttributesUnion(ra *authorizationv1.ResourceAttributes, nra *authorizationv1.NonResourceAttributes) field.ErrorList {
	if (ra == nil) == (nra == nil) {
		return field.ErrorList{field.Invalid(field.NewPath("spec"), nra, "exactly one of nonResourceAttributes or resourceAttributes must be specified")}
	}
	return validateSelectorAttributes(ra)
}

// validateSelectorAttributes checks the selector attributes: a raw selector or
// requirements, not both and not neither.
func validateSelectorAttributes(ra *authorizationv1.ResourceAttributes) field.ErrorList {
	if ra == nil {
		return nil
	}
	var errs field.ErrorList
	check := func(path *field.Path, raw string, n int) {
		if raw != "" && n > 0 {
			errs = append(errs, field.Invalid(path.Child("rawSelector"), raw, "may not specified at the same time as requirements"))
		}
		if raw == "" && n == 0 {
			errs = append(errs, field.Required(path.Child("requirements"), fmt.Sprintf("when %s is specified, requirements or rawSelector is required", path)))
		}
	}
	base := field.NewPath("spec.resourceAttributes")
	if fs := ra.FieldSelector; fs != nil {
		check(base.Child("fieldSelector"), fs.RawSelector, len(fs.Requirements))
	}
	if ls := ra.LabelSelector; ls != nil {
		check(base.Child("labelSelector"), ls.RawSelector, len(ls.Requirements))
	}
	return errs
}

// metadataMustBeEmpty checks that a review names nothing: reviews are not objects.
func metadataMustBeEmpty(m metav1.ObjectMeta, allowNamespace bool) field.ErrorList {
	c := m
	c.ManagedFields = nil
	msg := "must be empty"
	if allowNamespace {
		c.Namespace = ""
		msg = "must be empty except for namespace"
	}
	if !equality.Semantic.DeepEqual(metav1.ObjectMeta{}, c) {
		return field.ErrorList{field.Invalid(field.NewPath("metadata"), m, msg)}
	}
	return nil
}

func invalidReview(kind string, errs field.ErrorList) error {
	return apierrors.NewInvalid(authorizationv1.SchemeGroupVersion.WithKind(kind).GroupKind(), "", errs)
}
