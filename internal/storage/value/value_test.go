package value_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/kapi-dev/kapi/internal/storage/value"
)

// tagged is a test transformer: it writes tag+data and reads back only values that
// start with its tag.
type tagged struct{ tag string }

func (t tagged) TransformToStorage(_ context.Context, data, _ []byte) ([]byte, error) {
	return append([]byte(t.tag), data...), nil
}

func (t tagged) TransformFromStorage(_ context.Context, data, _ []byte) ([]byte, bool, error) {
	if !bytes.HasPrefix(data, []byte(t.tag)) {
		return nil, false, errors.New("not mine: " + t.tag)
	}
	return data[len(t.tag):], false, nil
}

func TestPrefixListRead(t *testing.T) {
	list := value.NewPrefixList(errors.New("no matching prefix found"),
		value.Prefixed{Prefix: []byte("k8s:enc:p1:"), Transformer: tagged{"A"}},
		value.Prefixed{Prefix: []byte("k8s:enc:p2:"), Transformer: tagged{"B"}},
		// the same prefix again, as when one provider kind is rotated between keys
		value.Prefixed{Prefix: []byte("k8s:enc:p1:"), Transformer: tagged{"C"}},
		value.Prefixed{Prefix: []byte{}, Transformer: value.Identity()},
	)
	tests := []struct {
		name      string
		stored    string
		want      string
		wantStale bool
		wantErr   string
	}{
		{name: "first entry is current", stored: "k8s:enc:p1:Adata", want: "data"},
		{name: "second entry is stale", stored: "k8s:enc:p2:Bdata", want: "data", wantStale: true},
		{name: "shared prefix falls through to the later entry", stored: "k8s:enc:p1:Cdata", want: "data", wantStale: true},
		{name: "unprefixed value read by identity", stored: "plain", want: "plain", wantStale: true},
		{name: "unknown prefix without k8s:enc: is plain data for identity", stored: "p9:x", want: "p9:x", wantStale: true},
		{name: "matched prefix that fails reports its error", stored: "k8s:enc:p2:Xdata", wantErr: "not mine: B"},
		{name: "encrypted value of an unknown provider", stored: "k8s:enc:other:v1:x", wantErr: "no matching prefix found"},
		{name: "every matching entry failed", stored: "k8s:enc:p1:Zdata", wantErr: "[not mine: A, not mine: C]"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, stale, err := list.TransformFromStorage(context.Background(), []byte(tc.stored), nil)
			if tc.wantErr != "" {
				if err == nil || err.Error() != tc.wantErr {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || string(got) != tc.want || stale != tc.wantStale {
				t.Fatalf("got %q stale=%v err=%v, want %q stale=%v", got, stale, err, tc.want, tc.wantStale)
			}
		})
	}
}

func TestPrefixListWritesWithFirst(t *testing.T) {
	list := value.NewPrefixList(errors.New("none"),
		value.Prefixed{Prefix: []byte("p2:"), Transformer: tagged{"B"}},
		value.Prefixed{Prefix: []byte("p1:"), Transformer: tagged{"A"}},
	)
	in := []byte("data")
	out, err := list.TransformToStorage(context.Background(), in, nil)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "p2:Bdata" || string(in) != "data" {
		t.Fatalf("stored %q (input now %q), want p2:Bdata", out, in)
	}
}

func TestIdentity(t *testing.T) {
	tests := []struct {
		name    string
		stored  string
		wantErr bool
	}{
		{name: "plain protobuf", stored: "k8s\x00\x0a\x09"},
		{name: "json", stored: `{"kind":"Secret"}`},
		{name: "empty", stored: ""},
		{name: "encrypted value", stored: "k8s:enc:aescbc:v1:key1:xxxx", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := value.Identity()
			out, stale, err := id.TransformFromStorage(context.Background(), []byte(tc.stored), nil)
			if tc.wantErr {
				if err == nil || err.Error() != "identity transformer tried to read encrypted data" {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil || stale || string(out) != tc.stored {
				t.Fatalf("got %q stale=%v err=%v", out, stale, err)
			}
			w, err := id.TransformToStorage(context.Background(), []byte(tc.stored), nil)
			if err != nil || string(w) != tc.stored {
				t.Fatalf("write: %q %v", w, err)
			}
		})
	}
}
