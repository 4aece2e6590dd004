package endpoints_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"testing"
)

// csrRequest returns a PEM certificate request for cn, base64-encoded as a
// CertificateSigningRequest's spec.request is in JSON.
func csrRequest(t *testing.T, cn string) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{Subject: pkix.Name{CommonName: cn}}, key)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der}))
}

// TestStatusUpdateMetadata: whether an update through /status also changes labels
// and annotations follows each resource's upstream status strategy. The older ones
// (pods, workloads, CSRs ...) take the request's metadata, some less a field
// (a Deployment keeps its labels, a Pod its owners); the newer ones and custom
// resources keep the stored metadata.
func TestStatusUpdateMetadata(t *testing.T) {
	c := newClient(t)
	testCSR := csrRequest(t, "someone")
	const mergeCT = "application/merge-patch+json"
	// The owner exists and is cluster-scoped (an owner that namespaced and
	// cluster-scoped dependents alike may name): the garbage collector would
	// otherwise delete the dependents.
	uid := c.getJSON("/api/v1/namespaces/t")["metadata"].(map[string]any)["uid"].(string)
	patch := `{"metadata":{"labels":{"via":"status"},"annotations":{"via":"status"},"ownerReferences":[{"apiVersion":"v1","kind":"Namespace","name":"t","uid":"` + uid + `"}]},"status":{}}`
	for _, tc := range []struct {
		name, collection, object, body string
		wantLabel, wantAnnotation      bool
		wantOwner                      bool
	}{
		{"pod takes labels and annotations, keeps its owners", "/api/v1/namespaces/t/pods", "p",
			`{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","image":"busybox"}]}}`, true, true, false},
		{"deployment takes annotations, keeps labels", "/apis/apps/v1/namespaces/t/deployments", "d",
			`{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},"spec":{"selector":{"matchLabels":{"a":"b"}},"template":{"metadata":{"labels":{"a":"b"}},"spec":{"containers":[{"name":"c","image":"busybox"}]}}}}`, false, true, true},
		{"certificate signing request takes metadata", "/apis/certificates.k8s.io/v1/certificatesigningrequests", "csr",
			`{"apiVersion":"certificates.k8s.io/v1","kind":"CertificateSigningRequest","metadata":{"name":"csr"},"spec":{"signerName":"example.com/signer","usages":["digital signature"],"request":"` + testCSR + `"}}`, true, true, true},
		{"service CIDR keeps metadata", "/apis/networking.k8s.io/v1/servicecidrs", "cidr",
			`{"apiVersion":"networking.k8s.io/v1","kind":"ServiceCIDR","metadata":{"name":"cidr"},"spec":{"cidrs":["10.99.0.0/24"]}}`, false, false, false},
		{"validating admission policy keeps metadata", "/apis/admissionregistration.k8s.io/v1/validatingadmissionpolicies", "vap",
			`{"apiVersion":"admissionregistration.k8s.io/v1","kind":"ValidatingAdmissionPolicy","metadata":{"name":"vap"},"spec":{"matchConstraints":{"resourceRules":[{"apiGroups":[""],"apiVersions":["v1"],"operations":["CREATE"],"resources":["configmaps"]}]},"validations":[{"expression":"true"}]}}`, false, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.do("POST", tc.collection, jsonCT, jsonCT, []byte(tc.body)); r.code != 201 {
				t.Fatalf("create: %d %s", r.code, r.body)
			}
			r := c.do("PATCH", tc.collection+"/"+tc.object+"/status", mergeCT, jsonCT, []byte(patch))
			if r.code != 200 {
				t.Fatalf("status patch: %d %s", r.code, r.body)
			}
			r = c.do("GET", tc.collection+"/"+tc.object, "", jsonCT, nil)
			var got map[string]any
			if err := json.Unmarshal(r.body, &got); r.code != 200 || err != nil {
				t.Fatalf("get: %d %s", r.code, r.body)
			}
			md, _ := got["metadata"].(map[string]any)
			labels, _ := md["labels"].(map[string]any)
			annotations, _ := md["annotations"].(map[string]any)
			owners, _ := md["ownerReferences"].([]any)
			if (labels["via"] == "status") != tc.wantLabel || (annotations["via"] == "status") != tc.wantAnnotation || (len(owners) == 1) != tc.wantOwner {
				b, _ := json.Marshal(md)
				t.Errorf("metadata after the status patch %s; want label %v, annotation %v, owner %v", b, tc.wantLabel, tc.wantAnnotation, tc.wantOwner)
			}
		})
	}
}
