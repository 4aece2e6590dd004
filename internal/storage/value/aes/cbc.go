package aes

import (
	"context"
	cryptoaes "crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

var (
	errBlockSize    = errors.New("the stored data is not a multiple of the block size")
	errPKCS7Data    = errors.New("invalid PKCS7 data (empty or not padded)")
	errPKCS7Padding = errors.New("invalid padding on input")
)

// cbc encrypts with AES-CBC and PKCS#7 padding; stored as iv || ciphertext. It
// authenticates nothing (upstream's aescbc neither), so the etcd key is unused.
type cbc struct {
	block cipher.Block
}

// NewCBC returns the aescbc transformer for key (16, 24 or 32 bytes).
func NewCBC(key []byte) (value.Transformer, error) {
	block, err := cryptoaes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return &cbc{block: block}, nil
}

func (t *cbc) TransformFromStorage(_ context.Context, data, _ []byte) ([]byte, bool, error) {
	const bs = cryptoaes.BlockSize
	if len(data) < bs {
		return nil, false, errShortData
	}
	iv, body := data[:bs], data[bs:]
	if len(body)%bs != 0 {
		return nil, false, errBlockSize
	}
	out := make([]byte, len(body))
	cipher.NewCBCDecrypter(t.block, iv).CryptBlocks(out, body)
	if len(out) == 0 {
		return nil, false, errPKCS7Data
	}
	pad := int(out[len(out)-1])
	if pad == 0 || pad > len(out) {
		return nil, false, errPKCS7Data
	}
	for _, b := range out[len(out)-pad:] {
		if int(b) != pad {
			return nil, false, errPKCS7Padding
		}
	}
	return out[:len(out)-pad], false, nil
}

func (t *cbc) TransformToStorage(_ context.Context, data, _ []byte) ([]byte, error) {
	const bs = cryptoaes.BlockSize
	pad := bs - len(data)%bs
	out := make([]byte, bs+len(data)+pad)
	if _, err := rand.Read(out[:bs]); err != nil {
		return nil, errors.New("unable to read sufficient random bytes")
	}
	copy(out[bs:], data)
	for i := bs + len(data); i < len(out); i++ {
		out[i] = byte(pad)
	}
	cipher.NewCBCEncrypter(t.block, out[:bs]).CryptBlocks(out[bs:], out[bs:])
	return out, nil
}
