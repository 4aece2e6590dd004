package secretbox_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value/secretbox"
)

var ctx = context.Background()

func TestRoundTrip(t *testing.T) {
	tr, err := secretbox.New(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   []byte
	}{
		{name: "empty", in: []byte{}},
		{name: "small", in: []byte("hello secret")},
		{name: "large", in: bytes.Repeat([]byte("x"), 1<<20)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stored, err := tr.TransformToStorage(ctx, tc.in, []byte("/registry/secrets/a/b"))
			if err != nil {
				t.Fatal(err)
			}
			if len(stored) != len(tc.in)+24+16 {
				t.Errorf("stored %d bytes, want nonce 24 + tag 16 + %d", len(stored), len(tc.in))
			}
			out, stale, err := tr.TransformFromStorage(ctx, stored, []byte("/registry/secrets/other"))
			if err != nil || stale || !bytes.Equal(out, tc.in) {
				t.Fatalf("read back: stale=%v err=%v", stale, err)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	if _, err := secretbox.New(make([]byte, 16)); err == nil || err.Error() != "expected key size 32 for secretbox provider, got 16" {
		t.Fatalf("16-byte key: %v", err)
	}
	tr, _ := secretbox.New(make([]byte, 32))
	other, _ := secretbox.New(bytes.Repeat([]byte{1}, 32))
	foreign, _ := other.TransformToStorage(ctx, []byte("x"), nil)
	tests := []struct {
		name   string
		stored []byte
		want   string
	}{
		{name: "shorter than nonce and tag", stored: make([]byte, 39), want: "shorter than the required size"},
		{name: "another key's value", stored: foreign, want: "output array was not large enough for encryption"},
		{name: "zeros", stored: make([]byte, 64), want: "output array was not large enough for encryption"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := tr.TransformFromStorage(ctx, tc.stored, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

func FuzzDecrypt(f *testing.F) {
	tr, _ := secretbox.New(make([]byte, 32))
	good, _ := tr.TransformToStorage(ctx, []byte("seed"), nil)
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, stored []byte) {
		if out, _, err := tr.TransformFromStorage(ctx, stored, nil); err == nil && len(out) != len(stored)-40 {
			t.Fatalf("decrypted %d bytes from %d", len(out), len(stored))
		}
	})
}
