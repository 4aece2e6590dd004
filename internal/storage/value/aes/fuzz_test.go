package aes_test

import (
	"bytes"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

// FuzzDecrypt feeds arbitrary stored values to every AES transformer: they may fail
// but never panic, and whatever decrypts survives a round trip unchanged.
func FuzzDecrypt(f *testing.F) {
	gcm, _ := aes.NewGCM(key(32, 1))
	cbc, _ := aes.NewCBC(key(16, 1))
	xn, _ := aes.NewExtendedNonceGCM(key(32, 1))
	transformers := []value.Transformer{gcm, cbc, xn}
	f.Add([]byte{}, []byte("k"))
	f.Add(key(16, 0), []byte("k"))
	for _, tr := range transformers {
		seed, err := tr.TransformToStorage(ctx, []byte("seed"), []byte("k"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(seed, []byte("k"))
	}
	f.Fuzz(func(t *testing.T, stored, authData []byte) {
		for _, tr := range transformers {
			out, _, err := tr.TransformFromStorage(ctx, stored, authData)
			if err != nil {
				continue
			}
			again, err := tr.TransformToStorage(ctx, out, authData)
			if err != nil {
				t.Fatal(err)
			}
			back, _, err := tr.TransformFromStorage(ctx, again, authData)
			if err != nil || !bytes.Equal(back, out) {
				t.Fatalf("round trip of a decrypted value failed: %v", err)
			}
		}
	})
}
