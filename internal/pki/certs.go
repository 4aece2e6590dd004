package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"slices"
	"strings"
	"time"
)

// clockSkew backdates NotBefore so that a machine whose clock trails the server's
// by a little still accepts a certificate issued a moment ago.
const clockSkew = 5 * time.Minute

// signer is a CA: its certificate and private key.
type signer struct {
	cert *x509.Certificate
	key  crypto.Signer
}

// leafSpec is what a leaf certificate must contain. It is both the template for
// issuing and the test for reusing.
type leafSpec struct {
	commonName    string
	organizations []string
	usage         x509.ExtKeyUsage
	dnsNames      []string
	ips           []net.IP
}

// satisfiedBy reports whether cert has the spec's subject and usage and at least its
// SANs. Extra SANs are fine: dropping a host from the request should not churn the
// certificate.
func (s leafSpec) satisfiedBy(cert *x509.Certificate) bool {
	if cert.Subject.CommonName != s.commonName {
		return false
	}
	if !sameSet(cert.Subject.Organization, s.organizations) {
		return false
	}
	if !slices.Contains(cert.ExtKeyUsage, s.usage) {
		return false
	}
	for _, name := range s.dnsNames {
		if !slices.ContainsFunc(cert.DNSNames, func(have string) bool { return strings.EqualFold(have, name) }) {
			return false
		}
	}
	for _, ip := range s.ips {
		if !slices.ContainsFunc(cert.IPAddresses, ip.Equal) {
			return false
		}
	}
	return true
}

// sameSet compares string lists ignoring order and duplicates: O values are groups.
func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// newSerial returns a random positive 127-bit serial; RFC 5280 allows up to 20
// octets and random serials keep reissued certificates distinguishable.
func newSerial() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// newCA creates the self-signed ECDSA P-256 root.
func newCA(now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "kapi-ca"},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// issue creates a fresh ECDSA P-256 key and a certificate for it signed by the CA.
// NotAfter is capped at the CA's so a leaf never outlives its issuer.
func (ca signer) issue(spec leafSpec, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := newSerial()
	if err != nil {
		return nil, nil, err
	}
	notAfter := now.Add(leafValidity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject: pkix.Name{
			CommonName:   spec.commonName,
			Organization: slices.Clone(spec.organizations),
		},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              notAfter,
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{spec.usage},
		BasicConstraintsValid: true,
		DNSNames:              slices.Clone(spec.dnsNames),
		IPAddresses:           slices.Clone(spec.ips),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// newSAKey creates the service-account token signing key: ECDSA P-256, whose
// tokens are ES256, which kube-apiserver and every verifier of its tokens accept.
// An RSA key (RS256) takes half a second to generate here, which the first start
// of the self-contained mode would pay; keys given by flags may be either.
func newSAKey() (crypto.Signer, error) {
	return ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
}
