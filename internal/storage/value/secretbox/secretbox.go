// Package secretbox is the secretbox provider of encryption at rest: XSalsa20 and
// Poly1305 (NaCl secretbox) under a 32-byte key, stored as a 24-byte random nonce
// followed by the sealed box, as kube-apiserver stores it. It authenticates the value
// alone, not the etcd key.
package secretbox

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"golang.org/x/crypto/nacl/secretbox"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

// KeySize is the only key size secretbox accepts.
const KeySize = 32

const nonceSize = 24

type transformer struct {
	key [KeySize]byte
}

// New returns the secretbox transformer for a 32-byte key.
func New(key []byte) (value.Transformer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("expected key size 32 for secretbox provider, got %v", len(key))
	}
	t := &transformer{}
	copy(t.key[:], key)
	return t, nil
}

func (t *transformer) TransformFromStorage(_ context.Context, data, _ []byte) ([]byte, bool, error) {
	if len(data) < nonceSize+secretbox.Overhead {
		return nil, false, errors.New("the stored data was shorter than the required size")
	}
	var nonce [nonceSize]byte
	copy(nonce[:], data)
	out, ok := secretbox.Open(make([]byte, 0, len(data)-nonceSize-secretbox.Overhead), data[nonceSize:], &nonce, &t.key)
	if !ok {
		// upstream's wording, kept so that errors read the same from either server
		return nil, false, errors.New("output array was not large enough for encryption")
	}
	return out, false, nil
}

func (t *transformer) TransformToStorage(_ context.Context, data, _ []byte) ([]byte, error) {
	var nonce [nonceSize]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, fmt.Errorf("unable to read sufficient random bytes: %w", err)
	}
	out := make([]byte, nonceSize, nonceSize+len(data)+secretbox.Overhead)
	copy(out, nonce[:])
	return secretbox.Seal(out, data, &nonce, &t.key), nil
}

var _ value.Transformer = (*transformer)(nil)
