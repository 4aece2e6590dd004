package aes_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

var ctx = context.Background()

func key(n int, fill byte) []byte { return bytes.Repeat([]byte{fill}, n) }

type maker struct {
	name string
	new  func([]byte) (value.Transformer, error)
	// sizes are the key sizes it accepts.
	sizes []int
	// overhead is how many bytes the stored form adds for a len-byte input.
	overhead func(n int) int
	// bindsKey reports whether the etcd key is authenticated.
	bindsKey bool
}

var makers = []maker{
	{name: "aesgcm", new: aes.NewGCM, sizes: []int{16, 24, 32}, overhead: func(int) int { return 12 + 16 }, bindsKey: true},
	{name: "aescbc", new: aes.NewCBC, sizes: []int{16, 24, 32}, overhead: func(n int) int { return 16 + 16 - n%16 }},
	{name: "xnonce", new: aes.NewExtendedNonceGCM, sizes: []int{32, 48}, overhead: func(int) int { return 32 + 12 + 16 }, bindsKey: true},
}

func TestRoundTrip(t *testing.T) {
	inputs := map[string][]byte{
		"empty":          {},
		"one byte":       {1},
		"one block":      key(16, 'a'),
		"block and one":  key(17, 'b'),
		"protobuf value": []byte("k8s\x00\n\x0c\n\x02v1\x12\x06Secret"),
		"large":          key(1<<20, 'c'),
	}
	for _, m := range makers {
		for _, size := range m.sizes {
			tr, err := m.new(key(size, 7))
			if err != nil {
				t.Fatalf("%s/%d: %v", m.name, size, err)
			}
			for name, in := range inputs {
				t.Run(m.name+"/"+name, func(t *testing.T) {
					authData := []byte("/registry/secrets/default/s1")
					stored, err := tr.TransformToStorage(ctx, in, authData)
					if err != nil {
						t.Fatal(err)
					}
					if len(stored) != len(in)+m.overhead(len(in)) {
						t.Errorf("stored %d bytes for %d, want overhead %d", len(stored), len(in), m.overhead(len(in)))
					}
					if len(in) >= 16 && bytes.Contains(stored, in) {
						t.Error("plaintext visible in stored value")
					}
					again, _ := tr.TransformToStorage(ctx, in, authData)
					if bytes.Equal(stored, again) {
						t.Error("two writes of one value are identical: nonce or IV not random")
					}
					out, stale, err := tr.TransformFromStorage(ctx, stored, authData)
					if err != nil || stale || !bytes.Equal(out, in) {
						t.Fatalf("read back: stale=%v err=%v equal=%v", stale, err, bytes.Equal(out, in))
					}
					_, _, err = tr.TransformFromStorage(ctx, stored, []byte("/registry/secrets/default/other"))
					if m.bindsKey && err == nil {
						t.Error("value moved to another key still decrypts")
					}
					if !m.bindsKey && err != nil {
						t.Errorf("key should not matter: %v", err)
					}
				})
			}
		}
	}
}

func TestBadKeys(t *testing.T) {
	tests := []struct {
		name string
		new  func([]byte) (value.Transformer, error)
		key  []byte
		want string
	}{
		{name: "aesgcm 15 bytes", new: aes.NewGCM, key: key(15, 1), want: "invalid key size 15"},
		{name: "aescbc 33 bytes", new: aes.NewCBC, key: key(33, 1), want: "invalid key size 33"},
		{name: "seed too short", new: aes.NewExtendedNonceGCM, key: key(31, 1), want: "invalid seed length 31 used for key generation"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := tc.new(tc.key); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestCorruptValues(t *testing.T) {
	gcm, _ := aes.NewGCM(key(32, 1))
	cbc, _ := aes.NewCBC(key(32, 1))
	xn, _ := aes.NewExtendedNonceGCM(key(32, 1))
	goodCBC, _ := cbc.TransformToStorage(ctx, []byte("hello"), nil)
	flipped := append([]byte(nil), goodCBC...)
	flipped[len(flipped)-1] ^= 0xff
	tests := []struct {
		name   string
		tr     value.Transformer
		stored []byte
		want   string
	}{
		{name: "gcm shorter than nonce", tr: gcm, stored: key(11, 0), want: "the stored data was shorter than the required size"},
		{name: "gcm garbage", tr: gcm, stored: key(40, 0), want: "cipher: message authentication failed"},
		{name: "cbc shorter than IV", tr: cbc, stored: key(15, 0), want: "the stored data was shorter than the required size"},
		{name: "cbc IV only", tr: cbc, stored: key(16, 0), want: "invalid PKCS7 data (empty or not padded)"},
		{name: "cbc not whole blocks", tr: cbc, stored: key(33, 0), want: "the stored data is not a multiple of the block size"},
		{name: "cbc bad padding", tr: cbc, stored: flipped, want: "invalid"},
		{name: "xnonce shorter than info", tr: xn, stored: key(31, 0), want: "the stored data was shorter than the required size"},
		{name: "xnonce garbage", tr: xn, stored: key(80, 0), want: "cipher: message authentication failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tc.tr.TransformFromStorage(ctx, tc.stored, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}
