package serviceaccount

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// PublicKey is a key that verifies tokens, with the key id ("kid") tokens signed by
// its private half carry.
type PublicKey struct {
	KeyID string
	// Key is an *rsa.PublicKey or an *ecdsa.PublicKey.
	Key crypto.PublicKey
}

// KeyID derives a key id from a public key as upstream does: the unpadded base64url
// SHA-256 of its PKIX DER encoding. It cannot be turned back into the key.
func KeyID(pub crypto.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", fmt.Errorf("serializing public key: %w", err)
	}
	sum := sha256.Sum256(der)
	return base64.RawURLEncoding.EncodeToString(sum[:]), nil
}

// NewPublicKey returns pub with its key id.
func NewPublicKey(pub crypto.PublicKey) (PublicKey, error) {
	switch pub.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
	default:
		return PublicKey{}, fmt.Errorf("unsupported public key type %T, must be RSA or ECDSA", pub)
	}
	id, err := KeyID(pub)
	if err != nil {
		return PublicKey{}, err
	}
	return PublicKey{KeyID: id, Key: pub}, nil
}

// ParsePublicKeys returns every RSA or ECDSA key in PEM data: public keys, the keys
// of certificates and the public halves of private keys, whatever the block type
// says. Other blocks are skipped, as upstream does; data without any key is an error.
func ParsePublicKeys(data []byte) ([]PublicKey, error) {
	var keys []PublicKey
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		pub := publicKeyFromDER(block.Bytes)
		if pub == nil {
			continue
		}
		k, err := NewPublicKey(pub)
		if err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, errors.New("data does not contain any valid RSA or ECDSA public keys")
	}
	return keys, nil
}

// publicKeyFromDER tries each encoding a key file may hold; nil when none fits.
func publicKeyFromDER(der []byte) crypto.PublicKey {
	if k, err := x509.ParsePKCS1PrivateKey(der); err == nil {
		return &k.PublicKey
	}
	if k, err := x509.ParseECPrivateKey(der); err == nil {
		return &k.PublicKey
	}
	if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
		if s, ok := k.(crypto.Signer); ok && isRSAOrECDSA(s.Public()) {
			return s.Public()
		}
		return nil
	}
	if k, err := x509.ParsePKIXPublicKey(der); err == nil {
		if isRSAOrECDSA(k) {
			return k
		}
		return nil
	}
	if c, err := x509.ParseCertificate(der); err == nil && isRSAOrECDSA(c.PublicKey) {
		return c.PublicKey
	}
	return nil
}

func isRSAOrECDSA(k crypto.PublicKey) bool {
	switch k.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey:
		return true
	}
	return false
}

// ReadPublicKeys reads the keys of each file (--service-account-key-file), in order.
func ReadPublicKeys(files ...string) ([]PublicKey, error) {
	var all []PublicKey
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		keys, err := ParsePublicKeys(data)
		if err != nil {
			return nil, fmt.Errorf("error reading public key file %s: %w", f, err)
		}
		all = append(all, keys...)
	}
	return all, nil
}

// ParsePrivateKey returns the first RSA or ECDSA private key of PEM data, from an
// "RSA PRIVATE KEY" (PKCS#1), "EC PRIVATE KEY" (SEC 1) or "PRIVATE KEY" (PKCS#8)
// block; other blocks (such as "EC PARAMETERS") are skipped.
func ParsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, errors.New("data does not contain a valid RSA or ECDSA private key")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			continue
		}
		switch k := key.(type) {
		case *rsa.PrivateKey:
			return k, nil
		case *ecdsa.PrivateKey:
			return k, nil
		default:
			return nil, fmt.Errorf("unsupported private key type %T, must be RSA or ECDSA", key)
		}
	}
}

// ReadPrivateKey reads ParsePrivateKey from a file (--service-account-signing-key-file).
func ReadPrivateKey(file string) (crypto.Signer, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	key, err := ParsePrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("error reading private key file %s: %w", file, err)
	}
	return key, nil
}
