package defaults

import (
	certificatesv1 "k8s.io/api/certificates/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// registerCertificates installs the defaults of certificates.k8s.io/v1. Only pod
// certificate requests have one (a day's maximum lifetime); CSRs and trust bundles
// are stored as sent.
func registerCertificates(s *runtime.Scheme) {
	add(s, podCertificateRequest)
	addList(s, func(l *certificatesv1.PodCertificateRequestList) []certificatesv1.PodCertificateRequest {
		return l.Items
	}, podCertificateRequest)
}

func podCertificateRequest(r *certificatesv1.PodCertificateRequest) {
	ptrOrDefault(&r.Spec.MaxExpirationSeconds, 86400)
}
