package admission

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"reflect"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

func init() {
	Factories["CertificateApproval"] = func(d Deps, _ []byte) (any, error) {
		if d.Authorizer == nil {
			return nil, errors.New("CertificateApproval requires an authorizer")
		}
		return certificateApproval{d.Authorizer}, nil
	}
	Factories["CertificateSigning"] = func(d Deps, _ []byte) (any, error) {
		if d.Authorizer == nil {
			return nil, errors.New("CertificateSigning requires an authorizer")
		}
		return certificateSigning{d.Authorizer}, nil
	}
	Factories["CertificateSubjectRestriction"] = func(Deps, []byte) (any, error) { return certificateSubjectRestriction{}, nil }
}

func isCSR(a *endpoints.Attributes, sub string) bool {
	return a.Resource.Group == "certificates.k8s.io" && a.Resource.Resource == "certificatesigningrequests" && a.Subresource == sub
}

// authorizedForSigner asks whether the user may verb the signer, or every signer of
// its domain ("example.com/*").
func authorizedForSigner(ctx context.Context, z authz.Authorizer, verb, signer string) bool {
	u, _ := request.UserFrom(ctx)
	if u == nil {
		return false
	}
	domain, _, _ := strings.Cut(signer, "/")
	for _, name := range []string{signer, domain + "/*"} {
		info := &request.Info{IsResourceRequest: true, Verb: verb, APIPrefix: "apis", APIGroup: "certificates.k8s.io",
			APIVersion: "*", Resource: "signers", Name: name}
		if d, _, err := z.Authorize(ctx, authz.Attributes{User: u, Info: info}); err == nil && d == authz.Allow {
			return true
		}
	}
	return false
}

// certificateApproval lets only users allowed to "approve" the signer approve or
// deny its requests.
type certificateApproval struct{ z authz.Authorizer }

func (p certificateApproval) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" || !isCSR(a, "approval") {
		return nil
	}
	csr, ok := a.OldObject.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return forbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.OldObject))
	}
	if !authorizedForSigner(ctx, p.z, "approve", csr.Spec.SignerName) {
		return forbidden(a, fmt.Errorf("user not permitted to approve requests with signerName %q", csr.Spec.SignerName))
	}
	return nil
}

// certificateSigning lets only users allowed to "sign" for the signer set the
// certificate or change conditions through status.
type certificateSigning struct{ z authz.Authorizer }

func (p certificateSigning) Validate(ctx context.Context, a *endpoints.Attributes) error {
	if a.Operation != "UPDATE" || !isCSR(a, "status") {
		return nil
	}
	old, ok := a.OldObject.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return forbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.OldObject))
	}
	csr, ok := a.Object.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return forbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.Object))
	}
	if reflect.DeepEqual(old.Status.Certificate, csr.Status.Certificate) && equality.Semantic.DeepEqual(old.Status.Conditions, csr.Status.Conditions) {
		return nil
	}
	if !authorizedForSigner(ctx, p.z, "sign", old.Spec.SignerName) {
		return forbidden(a, fmt.Errorf("user not permitted to sign requests with signerName %q", old.Spec.SignerName))
	}
	return nil
}

// certificateSubjectRestriction refuses kube-apiserver-client requests for the
// system:masters group.
type certificateSubjectRestriction struct{}

func (certificateSubjectRestriction) Validate(_ context.Context, a *endpoints.Attributes) error {
	if a.Operation != "CREATE" || !isCSR(a, "") {
		return nil
	}
	csr, ok := a.Object.(*certificatesv1.CertificateSigningRequest)
	if !ok {
		return forbidden(a, fmt.Errorf("expected type CertificateSigningRequest, got: %T", a.Object))
	}
	if csr.Spec.SignerName != certificatesv1.KubeAPIServerClientSignerName {
		return nil
	}
	req, err := parseCSR(csr.Spec.Request)
	if err != nil {
		return forbidden(a, fmt.Errorf("failed to parse CSR: %v", err))
	}
	for _, org := range req.Subject.Organization {
		if org == "system:masters" {
			return forbidden(a, fmt.Errorf("use of %s signer with system:masters group is not allowed", certificatesv1.KubeAPIServerClientSignerName))
		}
	}
	return nil
}

func parseCSR(data []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return nil, errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	return x509.ParseCertificateRequest(block.Bytes)
}
