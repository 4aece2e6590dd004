package aes_test

import (
	"fmt"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

// BenchmarkTransform measures a write and a read per op for values of typical
// secret sizes; compare aesgcm with aescbc and the KMS v2 extended-nonce GCM.
func BenchmarkTransform(b *testing.B) {
	gcm, _ := aes.NewGCM(key(32, 1))
	cbc, _ := aes.NewCBC(key(32, 1))
	xn, _ := aes.NewExtendedNonceGCM(key(32, 1))
	authData := []byte("/registry/secrets/default/bench")
	for _, tr := range []struct {
		name string
		t    value.Transformer
	}{{"aesgcm", gcm}, {"aescbc", cbc}, {"xnonce", xn}} {
		for _, size := range []int{256, 4 << 10, 64 << 10} {
			data := key(size, 'x')
			b.Run(fmt.Sprintf("%s/%d", tr.name, size), func(b *testing.B) {
				b.SetBytes(int64(size))
				b.ReportAllocs()
				for b.Loop() {
					stored, err := tr.t.TransformToStorage(ctx, data, authData)
					if err != nil {
						b.Fatal(err)
					}
					if _, _, err := tr.t.TransformFromStorage(ctx, stored, authData); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
