package builtin

import (
	"context"
	"fmt"
	"slices"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kapi-dev/kapi/internal/authn/serviceaccount"
	"github.com/kapi-dev/kapi/internal/registry"
)

// ServiceAccountTokens configures the serviceaccounts/token subresource.
type ServiceAccountTokens struct {
	// Issuer signs the tokens.
	Issuer *serviceaccount.Issuer
	// MaxExpiration caps the requested lifetime (--service-account-max-token-expiration);
	// zero leaves it uncapped.
	MaxExpiration time.Duration
	// ExtendExpiration (--service-account-extend-token-expiration) makes pod-bound
	// tokens of WarnOnlyBoundTokenExpirationSeconds for the API audiences live a year,
	// warning after the time asked for, as upstream does for projected tokens.
	ExtendExpiration bool
}

// Token request limits, as upstream.
const (
	defaultTokenExpirationSeconds = 60 * 60
	minTokenExpirationSeconds     = 10 * 60
	maxTokenExpirationSeconds     = 1 << 32
)

var (
	tokenRequestGVK = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")
	secretsGVR      = corev1.SchemeGroupVersion.WithResource("secrets")
	nodesGVR        = corev1.SchemeGroupVersion.WithResource("nodes")
	serviceAcctsGVR = corev1.SchemeGroupVersion.WithResource("serviceaccounts")
)

// serviceAccountTokenSubresource is serviceaccounts/token: POST a TokenRequest, get
// it back with a signed token in its status. Nothing is stored, so a dry run issues
// a token too, as upstream.
func serviceAccountTokenSubresource(deps Deps) registry.Subresource {
	tr := tokenRequester{deps: deps}
	return registry.Subresource{
		Name: "token", Kind: tokenRequestGVK, Verbs: []string{"create"},
		Create: func(ctx context.Context, ns, name string, obj runtime.Object, _ bool) (runtime.Object, error) {
			return tr.create(ctx, ns, name, obj.(*authenticationv1.TokenRequest))
		},
	}
}

type tokenRequester struct{ deps Deps }

func (t tokenRequester) get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string, opts *metav1.GetOptions) (runtime.Object, error) {
	return t.deps.Stores(gvr).Get(ctx, ns, name, opts)
}

func (t tokenRequester) create(ctx context.Context, ns, name string, req *authenticationv1.TokenRequest) (runtime.Object, error) {
	cfg := t.deps.ServiceAccountTokens
	if cfg == nil || cfg.Issuer == nil {
		return nil, apierrors.NewServiceUnavailable("the service account token issuer is not configured")
	}
	if ns == "" {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	// Upstream's create handler checks this for every request before the subresource
	// sees it; kapi's generic subresource path does not yet.
	if req.Namespace != "" && req.Namespace != ns {
		return nil, apierrors.NewBadRequest("the namespace of the provided object does not match the namespace sent on the request")
	}
	if req.Name != "" && req.Name != name {
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "name"), req.Name, "must match the service account name if specified")})
	}
	if req.Namespace != "" && req.Namespace != ns {
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "namespace"), req.Namespace, "must match the service account namespace if specified")})
	}
	obj, err := t.get(ctx, serviceAcctsGVR, ns, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := obj.(*corev1.ServiceAccount)
	if req.UID != "" && req.UID != sa.UID {
		return nil, apierrors.NewConflict(schema.GroupResource{Group: tokenRequestGVK.Group, Resource: tokenRequestGVK.Kind}, name,
			fmt.Errorf("the UID in the token request (%s) does not match the UID of the service account (%s)", req.UID, sa.UID))
	}
	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = slices.Clone(t.deps.APIAudiences)
	}
	if req.Spec.ExpirationSeconds == nil {
		exp := int64(defaultTokenExpirationSeconds)
		req.Spec.ExpirationSeconds = &exp
	}
	req.Name, req.Namespace, req.UID = sa.Name, sa.Namespace, sa.UID
	// Taken before signing, so that the expiration reported is never after the token's.
	now := time.Now()
	req.CreationTimestamp = metav1.NewTime(now)
	req.Status = authenticationv1.TokenRequestStatus{}
	if errs := validateTokenRequest(req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(tokenRequestGVK.GroupKind(), "", errs)
	}

	tok := serviceaccount.Token{Namespace: sa.Namespace, Name: sa.Name, UID: string(sa.UID), Audiences: req.Spec.Audiences, IssuedAt: now}
	boundToPod, err := t.bind(ctx, ns, name, req.Spec.BoundObjectRef, &tok)
	if err != nil {
		return nil, err
	}
	if maxSeconds := int64(cfg.MaxExpiration / time.Second); maxSeconds > 0 && *req.Spec.ExpirationSeconds > maxSeconds {
		*req.Spec.ExpirationSeconds = maxSeconds
	}
	tok.ExpirationSeconds = *req.Spec.ExpirationSeconds
	if cfg.ExtendExpiration && boundToPod && tok.ExpirationSeconds == serviceaccount.WarnOnlyBoundTokenExpirationSeconds &&
		isSubset(req.Spec.Audiences, t.deps.APIAudiences) {
		tok.WarnAfterSeconds = tok.ExpirationSeconds
		tok.ExpirationSeconds = serviceaccount.ExpirationExtensionSeconds
	}
	signed, _, err := cfg.Issuer.Issue(tok)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %v", err))
	}
	out := req.DeepCopy()
	out.TypeMeta = metav1.TypeMeta{APIVersion: tokenRequestGVK.GroupVersion().String(), Kind: tokenRequestGVK.Kind}
	out.Status = authenticationv1.TokenRequestStatus{
		Token:               signed,
		ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(*out.Spec.ExpirationSeconds) * time.Second)),
	}
	return out, nil
}

// validateTokenRequest checks the spec with upstream's rules and messages.
func validateTokenRequest(req *authenticationv1.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	exp := *req.Spec.ExpirationSeconds
	if exp < minTokenExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration less than 10 minutes"))
	}
	if exp > maxTokenExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), exp, "may not specify a duration larger than 2^32 seconds"))
	}
	if isWebhookRef(req.Spec.BoundObjectRef) {
		if len(req.Spec.Audiences) != 1 {
			errs = append(errs, field.Invalid(spec.Child("audiences"), req.Spec.Audiences, "must be length 1 when bound to a webhook config"))
		}
		errs = append(errs, validateWebhookAttestations(req.Spec.Attestations, spec.Child("attestations"))...)
	} else if len(req.Spec.Attestations) != 0 {
		return field.ErrorList{field.Invalid(spec.Child("attestations"), req.Spec.Attestations, "attestations may only be specified with a webhook bound object reference")}
	}
	return errs
}

func isWebhookRef(ref *authenticationv1.BoundObjectReference) bool {
	return ref != nil && ref.APIVersion == "admissionregistration.k8s.io/v1" &&
		(ref.Kind == "ValidatingWebhookConfiguration" || ref.Kind == "MutatingWebhookConfiguration")
}

// validateWebhookAttestations checks the one attestation a webhook-bound request
// carries, as upstream (which then refuses the request: webhook tokens are alpha).
func validateWebhookAttestations(att map[string]authenticationv1.AttestationValue, path *field.Path) field.ErrorList {
	if len(att) != 1 {
		return field.ErrorList{field.Invalid(path, att, "webhook bound requests require exactly one admissionReviewAPIGroups attestation")}
	}
	var errs field.ErrorList
	for key, values := range att {
		p := path.Key(key)
		if key != authenticationv1.AttestationAdmissionReviewAPIGroups {
			errs = append(errs, field.NotSupported(p, key, []string{authenticationv1.AttestationAdmissionReviewAPIGroups}))
			continue
		}
		if len(values) != 1 {
			errs = append(errs, field.Invalid(p, values, "must specify a single value"))
			continue
		}
		switch group := values[0]; {
		case group == "":
			errs = append(errs, field.Invalid(p.Index(0), group, "may not be an empty string"))
		case group != "*":
			for _, reason := range utilvalidation.IsDNS1123Subdomain(group) {
				errs = append(errs, field.Invalid(p.Index(0), group, "must specify a valid API Group: "+reason))
			}
		}
	}
	return errs
}

// bind resolves the bound object reference into tok and reports whether the token
// is bound to a pod.
func (t tokenRequester) bind(ctx context.Context, ns, saName string, ref *authenticationv1.BoundObjectReference, tok *serviceaccount.Token) (bool, error) {
	if ref == nil {
		return false, nil
	}
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var uid types.UID
	boundToPod := false
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		obj, err := t.get(ctx, podsGVR, ns, ref.Name, &metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		pod := obj.(*corev1.Pod)
		if pod.Spec.ServiceAccountName != saName {
			return false, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", saName))
		}
		uid, boundToPod = pod.UID, true
		tok.Pod = &serviceaccount.Ref{Name: pod.Name, UID: string(pod.UID)}
		if nodeName := pod.Spec.NodeName; nodeName != "" {
			node, err := t.podNode(ctx, nodeName)
			if err != nil {
				return false, err
			}
			tok.Node = node
		}
	case gvk.Group == "" && gvk.Kind == "Node":
		obj, err := t.get(ctx, nodesGVR, "", ref.Name, &metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		node := obj.(*corev1.Node)
		uid = node.UID
		tok.Node = &serviceaccount.Ref{Name: node.Name, UID: string(node.UID)}
	case gvk.Group == "" && gvk.Kind == "Secret":
		obj, err := t.get(ctx, secretsGVR, ns, ref.Name, &metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		secret := obj.(*corev1.Secret)
		uid = secret.UID
		tok.Secret = &serviceaccount.Ref{Name: secret.Name, UID: string(secret.UID)}
	case gvk.GroupVersion().String() == "admissionregistration.k8s.io/v1" &&
		(gvk.Kind == "ValidatingWebhookConfiguration" || gvk.Kind == "MutatingWebhookConfiguration"):
		return false, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s (feature gate APIServerWebhookAuthenticationToken is disabled)", gvk.String()))
	default:
		return false, apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
	}
	if ref.UID != "" && uid != ref.UID {
		return false, apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return boundToPod, nil
}

// podNode is the node claim of a pod-bound token: the pod's node, read from the watch
// cache first; a missing node still gives its name so the token says where the pod runs.
func (t tokenRequester) podNode(ctx context.Context, name string) (*serviceaccount.Ref, error) {
	obj, err := t.get(ctx, nodesGVR, "", name, &metav1.GetOptions{ResourceVersion: "0"})
	if err != nil {
		obj, err = t.get(ctx, nodesGVR, "", name, &metav1.GetOptions{})
	}
	switch {
	case apierrors.IsNotFound(err):
		return &serviceaccount.Ref{Name: name}, nil
	case err != nil:
		return nil, apierrors.NewInternalError(err)
	}
	node := obj.(*corev1.Node)
	return &serviceaccount.Ref{Name: node.Name, UID: string(node.UID)}, nil
}

// isSubset reports whether every audience of auds is one of the API audiences.
func isSubset(auds, api []string) bool {
	for _, a := range auds {
		if !slices.Contains(api, a) {
			return false
		}
	}
	return true
}
