package aes

import (
	"context"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"time"

	utilcache "k8s.io/apimachinery/pkg/util/cache"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

const (
	// SeedSize is the size of a KMS v2 DEK seed, of the HKDF info that starts each
	// value, and of the AES-256 key derived for that value.
	SeedSize = 32
	// derivedKeyTTL bounds how long a read-side derived key stays cached.
	derivedKeyTTL = 10 * time.Minute
)

// extendedNonceGCM is KMS v2's DEK when its source is a seed: every value gets a
// random 32-byte info, the AES-256 key is HKDF-Expand(SHA-256, seed, info), and the
// value is stored as info || nonce || ciphertext || tag with the etcd key
// authenticated. A fresh key per write means the 12-byte nonce never wears out.
type extendedNonceGCM struct {
	seed []byte
	// readKeys caches the AEAD derived for an info seen on read (string(info) → cipher.AEAD).
	readKeys *utilcache.Expiring
}

// NewExtendedNonceGCM returns the transformer keyed by seed (at least SeedSize bytes).
func NewExtendedNonceGCM(seed []byte) (value.Transformer, error) {
	if len(seed) < SeedSize {
		return nil, fmt.Errorf("invalid seed length %d used for key generation", len(seed))
	}
	return &extendedNonceGCM{seed: append([]byte(nil), seed...), readKeys: utilcache.NewExpiring()}, nil
}

func (e *extendedNonceGCM) derive(info []byte) (*gcm, error) {
	key, err := hkdf.Expand(sha256.New, e.seed, string(info), SeedSize)
	if err != nil {
		return nil, fmt.Errorf("failed to KDF expand seed with info: %w", err)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return nil, err
	}
	return &gcm{aead: aead}, nil
}

func (e *extendedNonceGCM) TransformFromStorage(ctx context.Context, data, authData []byte) ([]byte, bool, error) {
	if len(data) < SeedSize {
		return nil, false, errShortData
	}
	info := string(data[:SeedSize])
	var t *gcm
	if cached, ok := e.readKeys.Get(info); ok {
		t = cached.(*gcm)
	} else {
		var err error
		if t, err = e.derive(data[:SeedSize]); err != nil {
			return nil, false, fmt.Errorf("failed to derive read key from KDF: %w", err)
		}
		e.readKeys.Set(info, t, derivedKeyTTL)
	}
	return t.TransformFromStorage(ctx, data[SeedSize:], authData)
}

func (e *extendedNonceGCM) TransformToStorage(_ context.Context, data, authData []byte) ([]byte, error) {
	out := make([]byte, SeedSize+gcmNonceSize, SeedSize+gcmNonceSize+len(data)+16)
	if _, err := rand.Read(out); err != nil {
		return nil, fmt.Errorf("failed to generate info for KDF: %w", err)
	}
	t, err := e.derive(out[:SeedSize])
	if err != nil {
		return nil, fmt.Errorf("failed to derive write key from KDF: %w", err)
	}
	nonce := out[SeedSize:]
	return t.aead.Seal(out, nonce, data, authData), nil
}
