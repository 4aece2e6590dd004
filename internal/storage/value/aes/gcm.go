package aes

import (
	"context"
	cryptoaes "crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

// gcmNonceSize is fixed by the stored format: every aesgcm value starts with it.
const gcmNonceSize = 12

var errShortData = errors.New("the stored data was shorter than the required size")

// gcm encrypts with AES-GCM under one key and a random nonce per value; stored as
// nonce || ciphertext || tag, the etcd key authenticated.
type gcm struct {
	aead cipher.AEAD
}

// NewGCM returns the aesgcm transformer for key (16, 24 or 32 bytes).
func NewGCM(key []byte) (value.Transformer, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &gcm{aead: aead}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := cryptoaes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	if aead.NonceSize() != gcmNonceSize {
		return nil, fmt.Errorf("crypto/cipher.NewGCM returned unexpected nonce size: %d", aead.NonceSize())
	}
	return aead, nil
}

func (t *gcm) TransformFromStorage(_ context.Context, data, authData []byte) ([]byte, bool, error) {
	if len(data) < gcmNonceSize {
		return nil, false, errShortData
	}
	out, err := t.aead.Open(nil, data[:gcmNonceSize], data[gcmNonceSize:], authData)
	return out, false, err
}

func (t *gcm) TransformToStorage(_ context.Context, data, authData []byte) ([]byte, error) {
	out := make([]byte, gcmNonceSize, gcmNonceSize+len(data)+t.aead.Overhead())
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("failed to write nonce for AES-GCM: %w", err)
	}
	return t.aead.Seal(out, out[:gcmNonceSize], data, authData), nil
}
