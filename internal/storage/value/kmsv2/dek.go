package kmsv2

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

// dekState is the write DEK: its transformer and what every value it encrypts
// records about it. Immutable once stored; rotation stores a new one.
type dekState struct {
	transformer        value.Transformer
	keyID              string
	encryptedDEKSource []byte
	annotations        map[string][]byte
	sourceType         DEKSourceType
	// expires is when the DEK stops encrypting unless a healthy Status extends it.
	expires  time.Time
	cacheKey [32]byte
}

// generateDEK makes a new seed and has the plugin encrypt it.
func generateDEK(ctx context.Context, uid string, svc Service) (*dekState, error) {
	seed := make([]byte, aes.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	t, err := aes.NewExtendedNonceGCM(seed)
	if err != nil {
		return nil, err
	}
	resp, err := svc.Encrypt(ctx, uid, seed)
	if err != nil {
		return nil, fmt.Errorf("failed to encrypt DEK, error: %w", err)
	}
	probe := &EncryptedObject{
		KeyID:                  resp.KeyId,
		EncryptedDEKSource:     resp.Ciphertext,
		Annotations:            resp.Annotations,
		EncryptedDEKSourceType: DEKSourceHKDFSeed,
		EncryptedData:          []byte{0}, // Validate wants data; the DEK has none yet
	}
	if err := probe.Validate(); err != nil {
		return nil, err
	}
	return &dekState{
		transformer:        t,
		keyID:              resp.KeyId,
		encryptedDEKSource: resp.Ciphertext,
		annotations:        resp.Annotations,
		sourceType:         DEKSourceHKDFSeed,
		cacheKey:           dekCacheKey(DEKSourceHKDFSeed, resp.Ciphertext, resp.KeyId, resp.Annotations),
	}, nil
}

// keyIDHash is how key ids appear in errors and logs: hashed, as upstream does.
func keyIDHash(keyID string) string {
	if keyID == "" {
		return ""
	}
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(keyID)))
}
