package value

import (
	"bytes"
	"context"
	"errors"
)

// EncryptedPrefix starts every value an encryption provider wrote.
const EncryptedPrefix = "k8s:enc:"

var errEncryptedData = errors.New("identity transformer tried to read encrypted data")

// identity stores values as they are, and refuses to hand encrypted bytes to the
// decoder: a value that needs a provider the configuration lacks is an error, not
// garbage.
type identity struct{}

// Identity returns the transformer of the identity provider, also used for every
// resource without an encryption configuration.
func Identity() Transformer { return identity{} }

func (identity) TransformToStorage(_ context.Context, data, _ []byte) ([]byte, error) {
	return data, nil
}

func (identity) TransformFromStorage(_ context.Context, data, _ []byte) ([]byte, bool, error) {
	if bytes.HasPrefix(data, []byte(EncryptedPrefix)) {
		return nil, false, errEncryptedData
	}
	return data, false, nil
}
