package builtin

import (
	"context"
	"fmt"

	certificatesv1 "k8s.io/api/certificates/v1"
	certificatesv1beta1 "k8s.io/api/certificates/v1beta1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
	v "github.com/kapi-dev/kapi/internal/validation"
)

// certificates serves certificates.k8s.io/v1. ClusterTrustBundles and
// PodCertificateRequests are stored upstream as v1beta1, which kapi's scheme does not
// register yet, so they are stored as v1 here.
func certificates() []*registry.Resource {
	gv := certificatesv1.SchemeGroupVersion

	csr := &registry.Resource{
		GroupVersion: gv, Name: "certificatesigningrequests", SingularName: "certificatesigningrequest",
		Kind: "CertificateSigningRequest", ShortNames: []string{"csr"},
		StorageKind: gv.WithKind("CertificateSigningRequest"), KeyPrefix: "certificatesigningrequests",
		Status: true, StatusTakesMetadata: true,
		ValidateName: v.ValidateCSRName,
		PrepareForCreate: func(obj runtime.Object) {
			// The requester is who sent the request, never what the body claims.
			spec := &obj.(*certificatesv1.CertificateSigningRequest).Spec
			spec.Username, spec.UID, spec.Groups, spec.Extra = "", "", nil, nil
		},
		BeginCreate: csrRequester,
		PrepareForUpdate: func(obj, old runtime.Object) {
			// A request is immutable once made; only its subresources change it.
			obj.(*certificatesv1.CertificateSigningRequest).Spec = old.(*certificatesv1.CertificateSigningRequest).Spec
		},
		Validate:             v.ValidateCertificateSigningRequest,
		ValidateUpdate:       v.ValidateCertificateSigningRequestUpdate,
		ValidateStatusUpdate: v.ValidateCertificateSigningRequestStatusUpdate,
		SelectableFields: func(obj runtime.Object) fields.Set {
			return fields.Set{"spec.signerName": obj.(*certificatesv1.CertificateSigningRequest).Spec.SignerName}
		},
		FieldLabelConversion: platformFieldLabels("metadata.name", "spec.signerName"),
		Table:                printers.CertificateSigningRequest(),
	}
	csr.Subresources = []registry.Subresource{{
		Name: "approval", Kind: gv.WithKind("CertificateSigningRequest"), Verbs: []string{"get", "patch", "update"},
		Update:         csrApprovalUpdate,
		ValidateUpdate: v.ValidateCertificateSigningRequestApprovalUpdate,
	}}

	ctb := &registry.Resource{
		GroupVersion: gv, Name: "clustertrustbundles", SingularName: "clustertrustbundle", Kind: "ClusterTrustBundle",
		StorageKind: gv.WithKind("ClusterTrustBundle"), KeyPrefix: "clustertrustbundles",
		EncodeAs:               certificatesv1beta1.SchemeGroupVersion.WithKind("ClusterTrustBundle"),
		RequireResourceVersion: true,
		Validate:               v.ValidateClusterTrustBundle,
		ValidateUpdate:         v.ValidateClusterTrustBundleUpdate,
		SelectableFields: func(obj runtime.Object) fields.Set {
			return fields.Set{"spec.signerName": obj.(*certificatesv1.ClusterTrustBundle).Spec.SignerName}
		},
		FieldLabelConversion: platformFieldLabels("metadata.name", "spec.signerName"),
		Table:                printers.ClusterTrustBundle(),
	}

	pcr := &registry.Resource{
		GroupVersion: gv, Name: "podcertificaterequests", SingularName: "podcertificaterequest", Kind: "PodCertificateRequest",
		Namespaced: true, StorageKind: gv.WithKind("PodCertificateRequest"), KeyPrefix: "podcertificaterequests",
		EncodeAs: certificatesv1beta1.SchemeGroupVersion.WithKind("PodCertificateRequest"),
		Status:   true, RequireResourceVersion: true,
		Validate:             v.ValidatePodCertificateRequest,
		ValidateUpdate:       v.ValidatePodCertificateRequestUpdate,
		ValidateStatusUpdate: v.ValidatePodCertificateRequestStatusUpdate,
		SelectableFields: func(obj runtime.Object) fields.Set {
			spec := obj.(*certificatesv1.PodCertificateRequest).Spec
			return fields.Set{"spec.signerName": spec.SignerName, "spec.podName": spec.PodName, "spec.nodeName": string(spec.NodeName)}
		},
		FieldLabelConversion: platformFieldLabels("metadata.name", "spec.signerName", "spec.podName", "spec.nodeName"),
		Table:                printers.PodCertificateRequest(),
	}
	return []*registry.Resource{csr, ctb, pcr}
}

// platformFieldLabels accepts exactly the given field selector labels, as upstream's field
// label conversion functions of the platform groups do.
func platformFieldLabels(allowed ...string) func(label, value string) (string, string, error) {
	return func(label, value string) (string, string, error) {
		for _, a := range allowed {
			if a == label {
				return label, value, nil
			}
		}
		return "", "", fmt.Errorf("field label not supported: %s", label)
	}
}

// csrRequester records the authenticated user who created the request in its spec.
func csrRequester(ctx context.Context, obj runtime.Object, _ bool) (func(bool), error) {
	done := func(bool) {}
	u, ok := request.UserFrom(ctx)
	if !ok || u == nil {
		return done, nil
	}
	spec := &obj.(*certificatesv1.CertificateSigningRequest).Spec
	spec.Username, spec.UID = u.Name, u.UID
	spec.Groups = append([]string(nil), u.Groups...)
	if len(u.Extra) > 0 {
		spec.Extra = make(map[string]certificatesv1.ExtraValue, len(u.Extra))
		for k, vals := range u.Extra {
			spec.Extra[k] = append(certificatesv1.ExtraValue(nil), vals...)
		}
	}
	return done, nil
}

// csrApprovalUpdate is PUT .../approval: only status.conditions change (approvers add
// Approved or Denied); conditions without timestamps get them.
func csrApprovalUpdate(requested, current runtime.Object) runtime.Object {
	req := requested.(*certificatesv1.CertificateSigningRequest)
	cur := current.(*certificatesv1.CertificateSigningRequest)
	conds := append([]certificatesv1.CertificateSigningRequestCondition(nil), req.Status.Conditions...)
	stampCSRConditions(conds, cur.Status.Conditions, metav1.Now())
	cur.ObjectMeta = req.ObjectMeta
	cur.Status.Conditions = conds
	return cur
}

// stampCSRConditions fills in missing update and transition times; a condition whose
// type and status were already present keeps its old transition time.
func stampCSRConditions(conds, old []certificatesv1.CertificateSigningRequestCondition, now metav1.Time) {
	for i := range conds {
		c := &conds[i]
		if c.LastUpdateTime.IsZero() {
			c.LastUpdateTime = now
		}
		if !c.LastTransitionTime.IsZero() {
			continue
		}
		c.LastTransitionTime = now
		for _, o := range old {
			if o.Type == c.Type && o.Status == c.Status && !o.LastTransitionTime.IsZero() {
				c.LastTransitionTime = o.LastTransitionTime
				break
			}
		}
	}
}
