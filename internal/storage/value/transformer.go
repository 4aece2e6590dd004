package value

import "context"

// Transformer converts values between their encoded form and what etcd holds.
// Implementations are safe for concurrent use.
type Transformer interface {
	// TransformToStorage is called before every etcd write with the encoded object and
	// returns the bytes to store. authData is the value's etcd key: AEAD providers bind
	// the ciphertext to it so that a value copied under another key does not decrypt.
	// data is not modified.
	TransformToStorage(ctx context.Context, data, authData []byte) ([]byte, error)

	// TransformFromStorage is called after every etcd read and undoes
	// TransformToStorage. stale reports that the value was not written with the current
	// write provider and key (or KMS key id): the caller should rewrite it even when the
	// object did not change. data is not modified.
	TransformFromStorage(ctx context.Context, data, authData []byte) (out []byte, stale bool, err error)
}
