package pki

import (
	"crypto/x509"
	"path/filepath"
	"time"
)

// CA is the certificate authority Ensure keeps in a data folder, opened to mint
// short-lived, in-memory client certificates (the built-in controllers' identities).
type CA struct {
	signer
}

// LoadCA reads the CA that Ensure wrote to dir.
func LoadCA(dir string) (*CA, error) {
	cert, err := readCert(filepath.Join(dir, caCertName))
	if err != nil {
		return nil, err
	}
	key, err := readKey(filepath.Join(dir, caKeyName))
	if err != nil {
		return nil, err
	}
	return &CA{signer{cert: cert, key: key}}, nil
}

// CertPEM is the CA certificate, for clients to trust the server.
func (c *CA) CertPEM() []byte { return encodeCert(c.cert) }

// ClientCertPEM issues a client certificate for user (CN) in groups (O) with a new
// key, both PEM-encoded; nothing is written to disk.
func (c *CA) ClientCertPEM(user string, groups []string) (certPEM, keyPEM []byte, err error) {
	cert, key, err := c.issue(leafSpec{commonName: user, organizations: groups, usage: x509.ExtKeyUsageClientAuth}, time.Now())
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err = encodeKey(key)
	if err != nil {
		return nil, nil, err
	}
	return encodeCert(cert), keyPEM, nil
}
