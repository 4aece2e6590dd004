package validation

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/runtime"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// ValidateCSRName accepts any name: upstream does not care what CSRs are called
// beyond what fits in a URL.
func ValidateCSRName(string, bool) []string { return nil }

// csrUsages are the key usages a CSR may ask for, sorted as upstream lists them.
var csrUsages = func() []string {
	u := []certificatesv1.KeyUsage{
		certificatesv1.UsageSigning, certificatesv1.UsageDigitalSignature, certificatesv1.UsageContentCommitment,
		certificatesv1.UsageKeyEncipherment, certificatesv1.UsageKeyAgreement, certificatesv1.UsageDataEncipherment,
		certificatesv1.UsageCertSign, certificatesv1.UsageCRLSign, certificatesv1.UsageEncipherOnly,
		certificatesv1.UsageDecipherOnly, certificatesv1.UsageAny, certificatesv1.UsageServerAuth,
		certificatesv1.UsageClientAuth, certificatesv1.UsageCodeSigning, certificatesv1.UsageEmailProtection,
		certificatesv1.UsageSMIME, certificatesv1.UsageIPsecEndSystem, certificatesv1.UsageIPsecTunnel,
		certificatesv1.UsageIPsecUser, certificatesv1.UsageTimestamping, certificatesv1.UsageOCSPSigning,
		certificatesv1.UsageMicrosoftSGC, certificatesv1.UsageNetscapeSGC,
	}
	out := make([]string, len(u))
	for i := range u {
		out[i] = string(u[i])
	}
	slices.Sort(out)
	return out
}()

const legacyUnknownSigner = "kubernetes.io/legacy-unknown"

// csrOptions relax checks for problems an existing object already has, and allow
// what only one update path may change.
type csrOptions struct {
	setApproval, setCertificate                                     bool
	bothApprovedDenied, legacySigner, dupConditions, emptyCondition bool
	arbitraryCertificate, unknownUsages, dupUsages                  bool
}

func csrOptionsFor(csr, old *certificatesv1.CertificateSigningRequest) csrOptions {
	if old == nil {
		return csrOptions{}
	}
	o := csrOptions{legacySigner: old.Spec.SignerName == legacyUnknownSigner}
	seen := map[certificatesv1.RequestConditionType]bool{}
	for _, c := range old.Status.Conditions {
		o.dupConditions = o.dupConditions || seen[c.Type]
		o.emptyCondition = o.emptyCondition || c.Type == ""
		seen[c.Type] = true
	}
	o.bothApprovedDenied = seen[certificatesv1.CertificateApproved] && seen[certificatesv1.CertificateDenied]
	o.arbitraryCertificate = bytes.Equal(csr.Status.Certificate, old.Status.Certificate) && csrCertificate(old.Status.Certificate) != nil
	for i, u := range old.Spec.Usages {
		o.unknownUsages = o.unknownUsages || !slices.Contains(csrUsages, string(u))
		o.dupUsages = o.dupUsages || slices.Contains(old.Spec.Usages[:i], u)
	}
	return o
}

// ValidateCertificateSigningRequest checks a CSR on create: a signed PEM CERTIFICATE
// REQUEST, known usages, a well-formed signer name and a sane lifetime.
func ValidateCertificateSigningRequest(obj runtime.Object) field.ErrorList {
	return create(obj, func(csr *certificatesv1.CertificateSigningRequest) field.ErrorList {
		return validateCSR(csr, csrOptionsFor(csr, nil))
	})
}

func validateCSR(csr *certificatesv1.CertificateSigningRequest, o csrOptions) field.ErrorList {
	allErrs := objectMeta(&csr.ObjectMeta, false, ValidateCSRName)
	spec := field.NewPath("spec")
	if err := csrRequest(csr.Spec.Request); err != nil {
		allErrs = append(allErrs, field.Invalid(spec.Child("request"), csr.Spec.Request, err.Error()))
	}
	if len(csr.Spec.Usages) == 0 {
		allErrs = append(allErrs, field.Required(spec.Child("usages"), ""))
	}
	for i, u := range csr.Spec.Usages {
		if !o.unknownUsages && !slices.Contains(csrUsages, string(u)) {
			allErrs = append(allErrs, field.NotSupported(spec.Child("usages").Index(i), u, csrUsages))
		}
		if !o.dupUsages && slices.Contains(csr.Spec.Usages[:i], u) {
			allErrs = append(allErrs, field.Duplicate(spec.Child("usages").Index(i), u))
		}
	}
	if !o.legacySigner && csr.Spec.SignerName == legacyUnknownSigner {
		allErrs = append(allErrs, field.Invalid(spec.Child("signerName"), csr.Spec.SignerName, "the legacy signerName is not allowed via this API version"))
	} else {
		allErrs = append(allErrs, certSignerName(spec.Child("signerName"), csr.Spec.SignerName)...)
	}
	if s := csr.Spec.ExpirationSeconds; s != nil && *s < 600 {
		allErrs = append(allErrs, field.Invalid(spec.Child("expirationSeconds"), *s, "may not specify a duration less than 600 seconds (10 minutes)"))
	}
	allErrs = append(allErrs, csrConditions(csr.Status.Conditions, o)...)
	if !o.arbitraryCertificate {
		if err := csrCertificate(csr.Status.Certificate); err != nil {
			allErrs = append(allErrs, field.Invalid(field.NewPath("status", "certificate"), "<certificate data>", err.Error()))
		}
	}
	return allErrs
}

// csrRequest parses the PEM request and checks its signature.
func csrRequest(data []byte) error {
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "CERTIFICATE REQUEST" {
		return errors.New("PEM block type must be CERTIFICATE REQUEST")
	}
	req, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return err
	}
	return req.CheckSignature()
}

// csrCertificate accepts an empty certificate or one or more CERTIFICATE blocks
// without headers.
func csrCertificate(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	blocks := 0
	for {
		block, rest := pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			return fmt.Errorf("only CERTIFICATE PEM blocks are allowed, found %q", block.Type)
		}
		if len(block.Headers) != 0 {
			return errors.New("no PEM block headers are permitted")
		}
		certs, err := x509.ParseCertificates(block.Bytes)
		if err != nil {
			return err
		}
		if len(certs) == 0 {
			return errors.New("found CERTIFICATE PEM block containing 0 certificates")
		}
		blocks++
		data = rest
	}
	if blocks == 0 {
		return errors.New("must contain at least one CERTIFICATE PEM block")
	}
	return nil
}

func csrConditions(conds []certificatesv1.CertificateSigningRequestCondition, o csrOptions) field.ErrorList {
	var allErrs field.ErrorList
	p := field.NewPath("status", "conditions")
	seen := map[certificatesv1.RequestConditionType]bool{}
	trueOnly := []string{string(corev1.ConditionTrue)}
	all := []string{string(corev1.ConditionFalse), string(corev1.ConditionTrue), string(corev1.ConditionUnknown)}
	for i, c := range conds {
		if !o.emptyCondition && c.Type == "" {
			allErrs = append(allErrs, field.Required(p.Index(i).Child("type"), ""))
		}
		allowed := all
		switch c.Type {
		case certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed:
			allowed = trueOnly
		}
		switch {
		case c.Status == "":
			allErrs = append(allErrs, field.Required(p.Index(i).Child("status"), ""))
		case !slices.Contains(allowed, string(c.Status)):
			allErrs = append(allErrs, field.NotSupported(p.Index(i).Child("status"), c.Status, allowed))
		}
		if !o.bothApprovedDenied {
			if (c.Type == certificatesv1.CertificateApproved && seen[certificatesv1.CertificateDenied]) ||
				(c.Type == certificatesv1.CertificateDenied && seen[certificatesv1.CertificateApproved]) {
				allErrs = append(allErrs, field.Invalid(p, c.Type, "Approved and Denied conditions are mutually exclusive"))
			}
		}
		if !o.dupConditions && seen[c.Type] {
			allErrs = append(allErrs, field.Duplicate(p.Index(i).Child("type"), c.Type))
		}
		seen[c.Type] = true
	}
	return allErrs
}

// ValidateCertificateSigningRequestUpdate checks an update of the main resource; the
// registry has already restored spec and status, so what remains is metadata.
func ValidateCertificateSigningRequestUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
		return csrUpdate(csr, old, csrOptionsFor(csr, old))
	})
}

// ValidateCertificateSigningRequestStatusUpdate lets signers set the certificate once
// and add conditions other than Approved and Denied.
func ValidateCertificateSigningRequestStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
		o := csrOptionsFor(csr, old)
		o.setCertificate = true
		return csrUpdate(csr, old, o)
	})
}

// ValidateCertificateSigningRequestApprovalUpdate lets approvers add Approved or
// Denied conditions.
func ValidateCertificateSigningRequestApprovalUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(csr, old *certificatesv1.CertificateSigningRequest) field.ErrorList {
		o := csrOptionsFor(csr, old)
		o.setApproval = true
		return csrUpdate(csr, old, o)
	})
}

func csrUpdate(csr, old *certificatesv1.CertificateSigningRequest, o csrOptions) field.ErrorList {
	allErrs := validateCSR(csr, o)
	p := field.NewPath("status", "conditions")
	for _, t := range []certificatesv1.RequestConditionType{certificatesv1.CertificateApproved, certificatesv1.CertificateDenied, certificatesv1.CertificateFailed} {
		now, was := csrConditionsOf(csr, t), csrConditionsOf(old, t)
		switch {
		case len(now) < len(was):
			allErrs = append(allErrs, field.Forbidden(p, fmt.Sprintf("updates may not remove a condition of type %q", t)))
		case t == certificatesv1.CertificateFailed || o.setApproval:
		case len(now) > len(was):
			allErrs = append(allErrs, field.Forbidden(p, fmt.Sprintf("updates may not add a condition of type %q", t)))
		case !apiequality.Semantic.DeepEqual(now, was):
			allErrs = append(allErrs, field.Forbidden(p, fmt.Sprintf("updates may not modify a condition of type %q", t)))
		}
	}
	if !bytes.Equal(csr.Status.Certificate, old.Status.Certificate) {
		cp := field.NewPath("status", "certificate")
		switch {
		case !o.setCertificate:
			allErrs = append(allErrs, field.Forbidden(cp, "updates may not set certificate content"))
		case len(old.Status.Certificate) > 0:
			allErrs = append(allErrs, field.Forbidden(cp, "updates may not modify existing certificate content"))
		}
	}
	return append(allErrs, objectMetaUpdate(&csr.ObjectMeta, &old.ObjectMeta)...)
}

func csrConditionsOf(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []certificatesv1.CertificateSigningRequestCondition {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range csr.Status.Conditions {
		if c.Type == t {
			out = append(out, c)
		}
	}
	return out
}

// certSignerName checks the "example.com/signer-name" form shared by CSRs, trust bundles
// and pod certificate requests.
func certSignerName(fldPath *field.Path, name string) field.ErrorList {
	if name == "" {
		return field.ErrorList{field.Required(fldPath, "")}
	}
	domain, path, ok := strings.Cut(name, "/")
	if !ok || strings.Contains(path, "/") {
		return field.ErrorList{field.Invalid(fldPath, name, "must be a fully qualified domain and path of the form 'example.com/signer-name'")}
	}
	var allErrs field.ErrorList
	if len(domain) > utilvalidation.DNS1123SubdomainMaxLength {
		allErrs = append(allErrs, field.TooLong(fldPath, "", utilvalidation.DNS1123SubdomainMaxLength))
	}
	labels := strings.Split(domain, ".")
	for _, l := range labels {
		if msgs := utilvalidation.IsDNS1123Label(l); len(msgs) > 0 {
			for _, m := range msgs {
				allErrs = append(allErrs, field.Invalid(fldPath, domain, fmt.Sprintf("validating label %q: %s", l, m)))
			}
			break
		}
	}
	if len(labels) < 2 {
		allErrs = append(allErrs, field.Invalid(fldPath, domain, "should be a domain with at least two segments separated by dots"))
	}
	for _, l := range strings.Split(path, ".") {
		if msgs := utilvalidation.IsDNS1123Subdomain(l); len(msgs) > 0 {
			for _, m := range msgs {
				allErrs = append(allErrs, field.Invalid(fldPath, path, fmt.Sprintf("validating label %q: %s", l, m)))
			}
			break
		}
	}
	maxLen := 2*utilvalidation.DNS1123SubdomainMaxLength + utilvalidation.DNS1123LabelMaxLength + 2
	if len(name) > maxLen {
		allErrs = append(allErrs, field.TooLong(fldPath, "", maxLen))
	}
	return allErrs
}

func isKubernetesSigner(name string) bool {
	host, _, _ := strings.Cut(name, "/")
	return host == "kubernetes.io" || strings.HasSuffix(host, ".kubernetes.io")
}

// trustBundleName is the name rule of ClusterTrustBundles: bundles of a signer are
// named "<signer with : for />:<name>".
func trustBundleName(signer string) apivalidation.ValidateNameFunc {
	return func(name string, prefix bool) []string {
		if signer == "" {
			if strings.Contains(name, ":") {
				return []string{`ClusterTrustBundle without signer name must not have ":" in its name`}
			}
			return NameIsDNSSubdomain(name, prefix)
		}
		want := strings.ReplaceAll(signer, "/", ":") + ":"
		if !strings.HasPrefix(name, want) {
			return []string{fmt.Sprintf("ClusterTrustBundle for signerName %s must be named with prefix %s", signer, want)}
		}
		return NameIsDNSSubdomain(strings.TrimPrefix(name, want), prefix)
	}
}

// ValidateClusterTrustBundle checks the name rule, the signer and the PEM bundle of
// CA certificates.
func ValidateClusterTrustBundle(obj runtime.Object) field.ErrorList {
	return create(obj, func(b *certificatesv1.ClusterTrustBundle) field.ErrorList {
		return validateTrustBundle(b, true)
	})
}

func validateTrustBundle(b *certificatesv1.ClusterTrustBundle, parse bool) field.ErrorList {
	allErrs := objectMeta(&b.ObjectMeta, false, trustBundleName(b.Spec.SignerName))
	if b.Spec.SignerName != "" {
		allErrs = append(allErrs, certSignerName(field.NewPath("spec", "signerName"), b.Spec.SignerName)...)
	}
	if parse {
		allErrs = append(allErrs, trustAnchors(field.NewPath("spec", "trustBundle"), b.Spec.TrustBundle)...)
	}
	return allErrs
}

// ValidateClusterTrustBundleUpdate keeps the signer fixed; an unchanged bundle is
// not parsed again.
func ValidateClusterTrustBundleUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(b, old *certificatesv1.ClusterTrustBundle) field.ErrorList {
		allErrs := validateTrustBundle(b, b.Spec.TrustBundle != old.Spec.TrustBundle)
		allErrs = append(allErrs, objectMetaUpdate(&b.ObjectMeta, &old.ObjectMeta)...)
		return append(allErrs, immutable(b.Spec.SignerName, old.Spec.SignerName, field.NewPath("spec", "signerName"))...)
	})
}

// trustAnchors requires one or more distinct CA certificates in PEM.
func trustAnchors(p *field.Path, in string) field.ErrorList {
	const maxSize = 1 << 20
	if len(in) > maxSize {
		return field.ErrorList{field.TooLong(p, "", maxSize)}
	}
	var allErrs field.ErrorList
	seen := map[string][]int{}
	rest := []byte(in)
	for i := 0; ; i++ {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		var msg string
		switch cert, err := x509.ParseCertificate(b.Bytes); {
		case b.Type != "CERTIFICATE":
			msg = fmt.Sprintf("entry %d has bad block type: %v", i, b.Type)
		case len(b.Headers) != 0:
			msg = fmt.Sprintf("entry %d has PEM block headers", i)
		case err != nil:
			msg = fmt.Sprintf("entry %d does not parse as X.509", i)
		case !cert.IsCA:
			msg = fmt.Sprintf("entry %d does not have the CA bit set", i)
		case !cert.BasicConstraintsValid:
			msg = fmt.Sprintf("entry %d has invalid basic constraints", i)
		default:
			seen[string(b.Bytes)] = append(seen[string(b.Bytes)], i)
			continue
		}
		allErrs = append(allErrs, field.Invalid(p, "<value omitted>", msg))
	}
	if len(allErrs) > 0 {
		return allErrs
	}
	if len(seen) == 0 {
		return field.ErrorList{field.Invalid(p, "<value omitted>", "at least one trust anchor must be provided")}
	}
	for _, idx := range seen {
		if len(idx) > 1 {
			allErrs = append(allErrs, field.Invalid(p, "<value omitted>", fmt.Sprintf("duplicate trust anchor (indices %v)", idx)))
		}
	}
	return allErrs
}

// ValidatePodCertificateRequest checks the pod, service account and node identity,
// the signer, the lifetime and that exactly one form of key material is present.
// The key material itself is not parsed.
func ValidatePodCertificateRequest(obj runtime.Object) field.ErrorList {
	return create(obj, func(r *certificatesv1.PodCertificateRequest) field.ErrorList {
		allErrs := objectMeta(&r.ObjectMeta, true, NameIsDNSSubdomain)
		s, p := r.Spec, field.NewPath("spec")
		allErrs = append(allErrs, certSignerName(p.Child("signerName"), s.SignerName)...)
		for _, id := range []struct {
			name, uidName string
			value         string
			uid           string
			check         apivalidation.ValidateNameFunc
		}{
			{"podName", "podUID", s.PodName, string(s.PodUID), NameIsDNSSubdomain},
			{"serviceAccountName", "serviceAccountUID", s.ServiceAccountName, string(s.ServiceAccountUID), NameIsDNSSubdomain},
			{"nodeName", "nodeUID", string(s.NodeName), string(s.NodeUID), NameIsDNSSubdomain},
		} {
			for _, msg := range id.check(id.value, false) {
				allErrs = append(allErrs, field.Invalid(p.Child(id.name), id.value, msg))
			}
			if id.uid == "" {
				allErrs = append(allErrs, field.Invalid(p.Child(id.uidName), id.uid, "must not be empty"))
			} else if len(id.uid) > 128 {
				allErrs = append(allErrs, field.TooLong(p.Child(id.uidName), id.uid, 128))
			}
		}
		if s.MaxExpirationSeconds == nil {
			return append(allErrs, field.Required(p.Child("maxExpirationSeconds"), "must be set"))
		}
		maxSeconds := int32(91 * 86400)
		if isKubernetesSigner(s.SignerName) {
			maxSeconds = 86400
		}
		if m := *s.MaxExpirationSeconds; m < 3600 || m > maxSeconds {
			allErrs = append(allErrs, field.Invalid(p.Child("maxExpirationSeconds"), m, fmt.Sprintf("must be in the range [%d, %d]", 3600, maxSeconds)))
		}
		// v1 carries only the stub request; the older key fields do not exist here.
		if len(s.StubPKCS10Request) == 0 {
			allErrs = append(allErrs, field.Invalid(p, field.OmitValueType{}, "exactly one of (stubPKCS10Request) or (pkixPublicKey, proofOfPossession) must be set"))
		}
		return allErrs
	})
}

// ValidatePodCertificateRequestUpdate keeps the whole spec fixed.
func ValidatePodCertificateRequestUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
		allErrs := objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta)
		return append(allErrs, immutable(r.Spec, old.Spec, field.NewPath("spec"))...)
	})
}

// ValidatePodCertificateRequestStatusUpdate checks metadata only; the signer's
// status rules (issued chains, timestamps) are not enforced.
func ValidatePodCertificateRequestStatusUpdate(obj, old runtime.Object) field.ErrorList {
	return update(obj, old, func(r, old *certificatesv1.PodCertificateRequest) field.ErrorList {
		return objectMetaUpdate(&r.ObjectMeta, &old.ObjectMeta)
	})
}
