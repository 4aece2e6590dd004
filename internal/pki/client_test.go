package pki

import (
	"crypto/tls"
	"crypto/x509"
	"path/filepath"
	"slices"
	"testing"
)

func TestClientCertPEM(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "pki")
	b, err := Ensure(Config{Dir: dir, Hosts: []string{"localhost"}, AdminUser: "admin", AdminGroups: []string{"system:masters"}})
	if err != nil {
		t.Fatal(err)
	}
	ca, err := LoadCA(dir)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := ca.ClientCertPEM("system:kube-controller-manager", []string{"g1", "g2"})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatalf("certificate and key do not match: %v", err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(ca.CertPEM()) {
		t.Fatal("CertPEM holds no certificate")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate does not verify as a client of the CA: %v", err)
	}
	if leaf.Subject.CommonName != "system:kube-controller-manager" || !slices.Equal(leaf.Subject.Organization, []string{"g1", "g2"}) {
		t.Errorf("subject = %v", leaf.Subject)
	}
	if b.CACertFile != filepath.Join(dir, caCertName) {
		t.Errorf("LoadCA read %s, Ensure wrote %s", filepath.Join(dir, caCertName), b.CACertFile)
	}
	if _, err := LoadCA(t.TempDir()); err == nil {
		t.Error("LoadCA of an empty folder succeeded")
	}
}
