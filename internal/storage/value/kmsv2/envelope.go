package kmsv2

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/util/uuid"
	kmsapi "k8s.io/kms/apis/v2"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

var _ value.Transformer = (*Provider)(nil)

// TransformToStorage encrypts data with the current DEK and wraps it in an
// EncryptedObject. It fails while the plugin has not been healthy for 3 minutes.
func (p *Provider) TransformToStorage(ctx context.Context, data, authData []byte) ([]byte, error) {
	st, err := p.currentState()
	if err != nil {
		return nil, err
	}
	if now := p.now(); now.After(st.expires) {
		return nil, fmt.Errorf("encryptedDEKSource with keyID hash %q expired at %s (current time is %s)",
			keyIDHash(st.keyID), st.expires.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	// Reads of what we write must not need the plugin.
	p.cache.set(st.cacheKey, st.transformer)
	ct, err := st.transformer.TransformToStorage(ctx, data, authData)
	if err != nil {
		return nil, err
	}
	obj := &EncryptedObject{
		EncryptedData:          ct,
		KeyID:                  st.keyID,
		EncryptedDEKSource:     st.encryptedDEKSource,
		Annotations:            st.annotations,
		EncryptedDEKSourceType: st.sourceType,
	}
	if err := obj.Validate(); err != nil {
		return nil, err
	}
	return obj.Marshal(), nil
}

// TransformFromStorage decodes the EncryptedObject, finds its DEK (cached, or
// decrypted by the plugin) and decrypts. The value is stale when its key id or DEK
// kind is not the current one.
func (p *Provider) TransformFromStorage(ctx context.Context, data, authData []byte) ([]byte, bool, error) {
	obj, err := UnmarshalEncryptedObject(data)
	if err != nil {
		return nil, false, err
	}
	if err := obj.Validate(); err != nil {
		return nil, false, err
	}
	st, err := p.currentState()
	if err != nil {
		return nil, false, err
	}
	key := dekCacheKey(obj.EncryptedDEKSourceType, obj.EncryptedDEKSource, obj.KeyID, obj.Annotations)
	t := p.cache.get(key)
	if t == nil {
		dek, err := p.service.Decrypt(ctx, string(uuid.NewUUID()), &kmsapi.DecryptRequest{
			Ciphertext: obj.EncryptedDEKSource, KeyId: obj.KeyID, Annotations: obj.Annotations,
		})
		if err != nil {
			return nil, false, fmt.Errorf("failed to decrypt DEK, error: %w", err)
		}
		if obj.EncryptedDEKSourceType == DEKSourceHKDFSeed {
			t, err = aes.NewExtendedNonceGCM(dek)
		} else {
			t, err = aes.NewGCM(dek)
		}
		if err != nil {
			return nil, false, err
		}
		p.cache.set(key, t)
	}
	out, _, err := t.TransformFromStorage(ctx, obj.EncryptedData, authData)
	if err != nil {
		return nil, false, err
	}
	return out, obj.KeyID != st.keyID || obj.EncryptedDEKSourceType != st.sourceType, nil
}
