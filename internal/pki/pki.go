package pki

import (
	"crypto"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// File names inside Config.Dir; the same names kubeadm uses, so operators find
// what they expect.
const (
	caCertName      = "ca.crt"
	caKeyName       = "ca.key"
	servingCertName = "apiserver.crt"
	servingKeyName  = "apiserver.key"
	adminCertName   = "admin.crt"
	adminKeyName    = "admin.key"
	saKeyName       = "sa.key"
	saPubName       = "sa.pub"
)

// Config says where the PKI lives and what the certificates must contain.
type Config struct {
	// Dir holds every file; created 0700 when missing (e.g. <data-dir>/pki).
	Dir string
	// Hosts are the serving certificate's SANs, DNS names and IPs mixed: every name
	// or address a client may dial (localhost, the advertise address, the in-cluster
	// kubernetes.default.svc names, the first service IP).
	Hosts []string
	// AdminUser is the admin client certificate's CN, i.e. its user name.
	AdminUser string
	// AdminGroups are the admin certificate's O values, i.e. its groups
	// (system:masters bypasses authorization).
	AdminGroups []string

	// now replaces time.Now in tests that exercise expiry.
	now func() time.Time
}

// Bundle is what Ensure leaves on disk, by path, plus the parsed values the server
// needs in memory so it does not reparse files.
type Bundle struct {
	CACertFile      string
	CAKeyFile       string
	ServingCertFile string
	ServingKeyFile  string
	AdminCertFile   string
	AdminKeyFile    string
	SAKeyFile       string
	SAPubFile       string

	// CA is the parsed CA certificate.
	CA *x509.Certificate
	// CAPool trusts only CA: the client CA pool for x509 authentication and the root
	// pool for clients of this server.
	CAPool *x509.CertPool
	// Serving is the API server's TLS certificate, Leaf populated.
	Serving tls.Certificate
	// Admin is the admin client certificate, Leaf populated.
	Admin tls.Certificate
}

// Validity periods and the renewal window.
const (
	caValidity   = 10 * 365 * 24 * time.Hour
	leafValidity = 365 * 24 * time.Hour
	renewBefore  = 30 * 24 * time.Hour
)

// Ensure creates the PKI in cfg.Dir or reuses what an earlier start left there,
// reissuing leaf certificates that no longer match cfg or are close to expiry.
func Ensure(cfg Config) (*Bundle, error) {
	if cfg.Dir == "" {
		return nil, errors.New("pki: Dir is required")
	}
	if cfg.AdminUser == "" {
		return nil, errors.New("pki: AdminUser is required")
	}
	dns, ips := SplitHosts(cfg.Hosts)
	if len(dns) == 0 && len(ips) == 0 {
		return nil, errors.New("pki: at least one host is required for the serving certificate")
	}
	now := time.Now
	if cfg.now != nil {
		now = cfg.now
	}
	if err := os.MkdirAll(cfg.Dir, dirMode); err != nil {
		return nil, fmt.Errorf("pki: %w", err)
	}
	p := func(name string) string { return filepath.Join(cfg.Dir, name) }
	b := &Bundle{
		CACertFile:      p(caCertName),
		CAKeyFile:       p(caKeyName),
		ServingCertFile: p(servingCertName),
		ServingKeyFile:  p(servingKeyName),
		AdminCertFile:   p(adminCertName),
		AdminKeyFile:    p(adminKeyName),
		SAKeyFile:       p(saKeyName),
		SAPubFile:       p(saPubName),
	}

	ca, caKey, err := ensureCA(b.CACertFile, b.CAKeyFile, now())
	if err != nil {
		return nil, fmt.Errorf("pki: CA: %w", err)
	}
	b.CA = ca
	b.CAPool = x509.NewCertPool()
	b.CAPool.AddCert(ca)

	issuer := signer{cert: ca, key: caKey}
	serving := leafSpec{
		commonName: "kube-apiserver",
		usage:      x509.ExtKeyUsageServerAuth,
		dnsNames:   dns,
		ips:        ips,
	}
	if b.Serving, err = ensureLeaf(b.ServingCertFile, b.ServingKeyFile, serving, issuer, now()); err != nil {
		return nil, fmt.Errorf("pki: serving certificate: %w", err)
	}
	admin := leafSpec{
		commonName:    cfg.AdminUser,
		organizations: cfg.AdminGroups,
		usage:         x509.ExtKeyUsageClientAuth,
	}
	if b.Admin, err = ensureLeaf(b.AdminCertFile, b.AdminKeyFile, admin, issuer, now()); err != nil {
		return nil, fmt.Errorf("pki: admin certificate: %w", err)
	}
	if err := ensureSAKey(b.SAKeyFile, b.SAPubFile); err != nil {
		return nil, fmt.Errorf("pki: service-account key: %w", err)
	}
	return b, nil
}

// ensureCA loads the CA or creates it. The key is written before the certificate,
// so a key without a certificate means a first start died midway: nothing was
// signed yet and starting over is safe. A certificate without its key, or files
// that do not parse or match, are left for the operator: replacing the CA would
// silently invalidate every kubeconfig and client certificate issued from it.
func ensureCA(certFile, keyFile string, now time.Time) (*x509.Certificate, crypto.Signer, error) {
	haveCert, err := exists(certFile)
	if err != nil {
		return nil, nil, err
	}
	if haveCert {
		haveKey, err := exists(keyFile)
		if err != nil {
			return nil, nil, err
		}
		if !haveKey {
			return nil, nil, fmt.Errorf("%s exists but %s does not; refusing to replace the CA", certFile, keyFile)
		}
		cert, err := readCert(certFile)
		if err != nil {
			return nil, nil, err
		}
		key, err := readKey(keyFile)
		if err != nil {
			return nil, nil, err
		}
		if !publicKeysEqual(cert.PublicKey, key.Public()) {
			return nil, nil, fmt.Errorf("%s does not match %s", keyFile, certFile)
		}
		if !cert.IsCA {
			return nil, nil, fmt.Errorf("%s is not a CA certificate", certFile)
		}
		if now.After(cert.NotAfter) {
			return nil, nil, fmt.Errorf("%s expired at %s; rotate it by hand", certFile, cert.NotAfter.Format(time.RFC3339))
		}
		return cert, key, nil
	}

	cert, key, err := newCA(now)
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(keyFile, keyPEM, keyMode); err != nil {
		return nil, nil, err
	}
	if err := writeFileAtomic(certFile, encodeCert(cert), certMode); err != nil {
		return nil, nil, err
	}
	return cert, key, nil
}

// ensureLeaf returns the existing leaf certificate when it still satisfies spec,
// and otherwise issues and writes a new one with a fresh key.
func ensureLeaf(certFile, keyFile string, spec leafSpec, ca signer, now time.Time) (tls.Certificate, error) {
	if pair, ok := loadLeaf(certFile, keyFile, spec, ca, now); ok {
		return pair, nil
	}
	cert, key, err := ca.issue(spec, now)
	if err != nil {
		return tls.Certificate{}, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return tls.Certificate{}, err
	}
	certPEM := encodeCert(cert)
	// Key first: a crash between the writes leaves a mismatched pair, which the next
	// start detects and reissues.
	if err := writeFileAtomic(keyFile, keyPEM, keyMode); err != nil {
		return tls.Certificate{}, err
	}
	if err := writeFileAtomic(certFile, certPEM, certMode); err != nil {
		return tls.Certificate{}, err
	}
	return tls.X509KeyPair(certPEM, keyPEM)
}

// loadLeaf reports whether the pair on disk can be reused. Any defect (missing,
// unparsable, mismatched, signed by another CA, wrong content, near expiry) means
// "reissue": leaf certificates are derived data.
func loadLeaf(certFile, keyFile string, spec leafSpec, ca signer, now time.Time) (tls.Certificate, bool) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil || pair.Leaf == nil {
		return tls.Certificate{}, false
	}
	leaf := pair.Leaf
	if leaf.CheckSignatureFrom(ca.cert) != nil {
		return tls.Certificate{}, false
	}
	if now.Before(leaf.NotBefore) || now.Add(renewBefore).After(leaf.NotAfter) {
		return tls.Certificate{}, false
	}
	if !spec.satisfiedBy(leaf) {
		return tls.Certificate{}, false
	}
	return pair, true
}

// ensureSAKey loads or creates the service-account token signing key pair. sa.pub
// is derived data and rewritten when missing or stale; a public key without its
// private key is an error because regenerating would invalidate every token that
// verifiers holding sa.pub accept.
func ensureSAKey(keyFile, pubFile string) error {
	haveKey, err := exists(keyFile)
	if err != nil {
		return err
	}
	var key crypto.Signer
	if haveKey {
		if key, err = readKey(keyFile); err != nil {
			return err
		}
	} else {
		havePub, err := exists(pubFile)
		if err != nil {
			return err
		}
		if havePub {
			return fmt.Errorf("%s exists but %s does not; refusing to replace the signing key", pubFile, keyFile)
		}
		if key, err = newSAKey(); err != nil {
			return err
		}
		keyPEM, err := encodeKey(key)
		if err != nil {
			return err
		}
		if err := writeFileAtomic(keyFile, keyPEM, keyMode); err != nil {
			return err
		}
	}
	if pub, err := readPublicKey(pubFile); err == nil && publicKeysEqual(pub, key.Public()) {
		return nil
	}
	pubPEM, err := encodePublicKey(key.Public())
	if err != nil {
		return err
	}
	return writeFileAtomic(pubFile, pubPEM, certMode)
}
