package encryptionconfig_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
)

var ctx = context.Background()

func writeConfig(t *testing.T, yaml string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func load(t *testing.T, yaml string) *encryptionconfig.Built {
	t.Helper()
	b, err := encryptionconfig.LoadFile(ctx, writeConfig(t, yaml), false, encryptionconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

func TestTransformerForResource(t *testing.T) {
	b := load(t, header+`resources:
- resources: [events]
  providers: [{identity: {}}]
- resources: [secrets, configmaps, widgets.example.com]
  providers: [{aescbc: {keys: [{name: key1, secret: `+key32+`}]}}]
- resources: ['*.apps']
  providers: [{aesgcm: {keys: [{name: gcm, secret: `+key16+`}]}}]
- resources: ['*.']
  providers: [{secretbox: {keys: [{name: box, secret: `+key32+`}]}}]
- resources: ['*.*']
  providers: [{aescbc: {keys: [{name: key3, secret: `+key16+`}]}}]
`)
	tests := []struct {
		gr         schema.GroupResource
		wantPrefix string
	}{
		{gr: schema.GroupResource{Resource: "secrets"}, wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{gr: schema.GroupResource{Resource: "configmaps"}, wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{gr: schema.GroupResource{Group: "example.com", Resource: "widgets"}, wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{gr: schema.GroupResource{Group: "apps", Resource: "deployments"}, wantPrefix: "k8s:enc:aesgcm:v1:gcm:"},
		{gr: schema.GroupResource{Resource: "pods"}, wantPrefix: "k8s:enc:secretbox:v1:box:"},
		{gr: schema.GroupResource{Group: "batch", Resource: "jobs"}, wantPrefix: "k8s:enc:aescbc:v1:key3:"},
		{gr: schema.GroupResource{Resource: "events"}, wantPrefix: ""},
	}
	for _, tc := range tests {
		t.Run(tc.gr.String(), func(t *testing.T) {
			key := []byte("/registry/x/" + tc.gr.String())
			stored, err := b.TransformerFor(tc.gr).TransformToStorage(ctx, []byte("k8s\x00object"), key)
			if err != nil {
				t.Fatal(err)
			}
			if tc.wantPrefix == "" {
				if string(stored) != "k8s\x00object" {
					t.Fatalf("identity stored %q", stored)
				}
			} else if !strings.HasPrefix(string(stored), tc.wantPrefix) {
				t.Fatalf("stored %q, want prefix %q", stored, tc.wantPrefix)
			}
			out, stale, err := b.TransformerFor(tc.gr).TransformFromStorage(ctx, stored, key)
			if err != nil || stale || string(out) != "k8s\x00object" {
				t.Fatalf("read back %q stale=%v err=%v", out, stale, err)
			}
		})
	}
}

func TestNoConfigurationIsIdentity(t *testing.T) {
	var none *encryptionconfig.Built
	tr := none.TransformerFor(schema.GroupResource{Resource: "secrets"})
	if out, _, err := tr.TransformFromStorage(ctx, []byte("plain"), nil); err != nil || string(out) != "plain" {
		t.Fatalf("plain value: %q %v", out, err)
	}
	if _, _, err := tr.TransformFromStorage(ctx, []byte("k8s:enc:aescbc:v1:k:xxxx"), nil); err == nil {
		t.Fatal("encrypted value read without configuration")
	}
}

func TestBuildErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{name: "core wildcard masks a later core resource", yaml: header + `resources:
- resources: ['*.']
  providers: [{identity: {}}]
- resources: [secrets]
  providers: [{identity: {}}]`, want: `error while building transformers: resource "secrets" is masked by earlier rule "*."`},
		{name: "everything masks a later resource", yaml: header + `resources:
- resources: ['*.*']
  providers: [{identity: {}}]
- resources: [deployments.apps]
  providers: [{identity: {}}]`, want: `error while building transformers: resource "deployments.apps" is masked by earlier rule "*.*"`},
		{name: "group wildcard masks a later resource of the group", yaml: header + `resources:
- resources: ['*.apps']
  providers: [{identity: {}}]
- resources: [deployments.apps]
  providers: [{identity: {}}]`, want: `error while building transformers: resource "deployments.apps" is masked by earlier rule "*.apps"`},
		{name: "kms v1 is refused", yaml: header + `resources:
- resources: [secrets]
  providers: [{kms: {name: old, endpoint: 'unix:///tmp/none.sock'}}]`,
			want: "error while building transformers: KMSv1 is deprecated and will only receive security updates going forward. Use KMSv2 instead.  Set --feature-gates=KMSv1=true to use the deprecated KMSv1 feature."},
		{name: "invalid file", yaml: header + "resources: []", want: "error while parsing file: resources: Required value: at least one resources is required"},
		{name: "empty file", yaml: "", want: "error while parsing file: error while loading file: encryption provider configuration file"},
		{name: "undecodable file", yaml: "kind: Pod\napiVersion: v1\n", want: "error while parsing file: error decoding encryption provider configuration file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := encryptionconfig.LoadFile(ctx, writeConfig(t, tc.yaml), false, encryptionconfig.Options{})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}

// TestKeyRotation walks upstream's rotation procedure: add the new key second, make
// it first, rewrite everything, drop the old key.
func TestKeyRotation(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	key := []byte("/registry/secrets/default/s")
	cfg := func(keys string) string {
		return header + "resources:\n- resources: [secrets]\n  providers:\n  - aescbc:\n      keys:\n" + keys + "  - identity: {}\n"
	}
	const (
		k1 = "      - {name: key1, secret: " + key32 + "}\n"
		k2 = "      - {name: key2, secret: " + key16 + "}\n"
	)
	plain := []byte("k8s\x00plain object")

	v1, err := load(t, cfg(k1)).TransformerFor(secrets).TransformToStorage(ctx, plain, key)
	if err != nil {
		t.Fatal(err)
	}
	// key2 added second: still writes with key1, reads both.
	second := load(t, cfg(k1+k2)).TransformerFor(secrets)
	if out, stale, err := second.TransformFromStorage(ctx, v1, key); err != nil || stale || string(out) != string(plain) {
		t.Fatalf("key1 value under [key1, key2]: stale=%v err=%v", stale, err)
	}
	// key2 first: key1 values are stale, new values use key2.
	first := load(t, cfg(k2+k1)).TransformerFor(secrets)
	if out, stale, err := first.TransformFromStorage(ctx, v1, key); err != nil || !stale || string(out) != string(plain) {
		t.Fatalf("key1 value under [key2, key1]: stale=%v err=%v, want stale", stale, err)
	}
	v2, err := first.TransformToStorage(ctx, plain, key)
	if err != nil || !strings.HasPrefix(string(v2), "k8s:enc:aescbc:v1:key2:") {
		t.Fatalf("new write %q %v, want key2", v2[:min(len(v2), 24)], err)
	}
	if _, stale, err := first.TransformFromStorage(ctx, v2, key); err != nil || stale {
		t.Fatalf("key2 value: stale=%v err=%v", stale, err)
	}
	// key1 dropped: its values no longer decrypt.
	only2 := load(t, cfg(k2)).TransformerFor(secrets)
	if _, _, err := only2.TransformFromStorage(ctx, v1, key); err == nil || err.Error() != "no matching key was found for the provided AES transformer" {
		t.Fatalf("key1 value after key1 was removed: %v", err)
	}
	// Plaintext written before encryption was enabled is read by identity, stale.
	if out, stale, err := first.TransformFromStorage(ctx, plain, key); err != nil || !stale || string(out) != string(plain) {
		t.Fatalf("unencrypted value: stale=%v err=%v", stale, err)
	}
}

// TestDecryptMigration: identity first writes plaintext and still reads encrypted
// values (stale), the way a cluster is decrypted.
func TestDecryptMigration(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	key := []byte("/registry/secrets/default/s")
	enc := load(t, header+"resources:\n- resources: [secrets]\n  providers: [{secretbox: {keys: [{name: b, secret: "+key32+"}]}}]\n").TransformerFor(secrets)
	stored, err := enc.TransformToStorage(ctx, []byte("obj"), key)
	if err != nil {
		t.Fatal(err)
	}
	dec := load(t, header+"resources:\n- resources: [secrets]\n  providers: [{identity: {}}, {secretbox: {keys: [{name: b, secret: "+key32+"}]}}]\n").TransformerFor(secrets)
	if out, stale, err := dec.TransformFromStorage(ctx, stored, key); err != nil || !stale || string(out) != "obj" {
		t.Fatalf("encrypted value under identity-first: %q stale=%v err=%v", out, stale, err)
	}
	if w, err := dec.TransformToStorage(ctx, []byte("obj"), key); err != nil || string(w) != "obj" {
		t.Fatalf("identity-first write %q %v", w, err)
	}
}

// TestResourceInTwoEntries: a resource named by two entries gets the providers of
// both, the first entry's writing.
func TestResourceInTwoEntries(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	key := []byte("/registry/secrets/default/s")
	old := load(t, header+"resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: c, secret: "+key16+"}]}}]\n").TransformerFor(secrets)
	stored, _ := old.TransformToStorage(ctx, []byte("obj"), key)
	both := load(t, header+`resources:
- resources: [secrets]
  providers: [{aesgcm: {keys: [{name: g, secret: `+key32+`}]}}]
- resources: [secrets, configmaps]
  providers: [{aescbc: {keys: [{name: c, secret: `+key16+`}]}}]
`).TransformerFor(secrets)
	if out, stale, err := both.TransformFromStorage(ctx, stored, key); err != nil || !stale || string(out) != "obj" {
		t.Fatalf("second entry's value: %q stale=%v err=%v", out, stale, err)
	}
	if w, _ := both.TransformToStorage(ctx, []byte("obj"), key); !strings.HasPrefix(string(w), "k8s:enc:aesgcm:v1:g:") {
		t.Fatalf("write %q, want the first entry's aesgcm", w[:20])
	}
}
