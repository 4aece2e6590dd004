package encryptionconfig_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2/kmsv2test"
)

func TestReload(t *testing.T) {
	secrets := schema.GroupResource{Resource: "secrets"}
	key := []byte("/registry/secrets/default/s")
	cbc := header + "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: key1, secret: " + key32 + "}]}}]\n"
	path := writeConfig(t, cbc)
	first, err := encryptionconfig.LoadFile(ctx, path, true, encryptionconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	target := encryptionconfig.NewTransformers(first)
	t.Cleanup(func() { target.Current().Close() })
	r := encryptionconfig.NewReloader(path, time.Hour, target, encryptionconfig.Options{})
	tr := target.For(secrets) // held by a store across reloads
	old, err := tr.TransformToStorage(ctx, []byte("obj"), key)
	if err != nil {
		t.Fatal(err)
	}
	plugin := kmsv2test.Start(t, "key-1")

	steps := []struct {
		name        string
		yaml        string
		wantChanged bool
		wantErr     string
		wantPrefix  string
	}{
		{name: "unchanged file", yaml: cbc, wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{name: "invalid file keeps the old configuration", yaml: header + "resources: []\n",
			wantErr: "error while parsing file: resources: Required value", wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{name: "empty file keeps the old configuration", yaml: "", wantErr: "is empty", wantPrefix: "k8s:enc:aescbc:v1:key1:"},
		{name: "new provider first", wantChanged: true, wantPrefix: "k8s:enc:kms:v2:kms1:", yaml: header + `resources:
- resources: [secrets]
  providers:
  - kms: {apiVersion: v2, name: kms1, endpoint: '` + plugin.Endpoint + `', timeout: 1s}
  - aescbc: {keys: [{name: key1, secret: ` + key32 + `}]}
`},
		{name: "duplicate kms v1 names refused on reload", wantErr: "duplicate KMS provider name", wantPrefix: "k8s:enc:kms:v2:kms1:", yaml: header + `resources:
- resources: [secrets]
  providers:
  - kms: {name: a, endpoint: 'unix:///x'}
  - kms: {name: a, endpoint: 'unix:///y'}
`},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if err := os.WriteFile(path, []byte(s.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			changed, err := r.ReloadOnce(ctx)
			if s.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), s.wantErr) {
					t.Fatalf("err = %v, want %q", err, s.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if changed != s.wantChanged {
				t.Errorf("changed = %v, want %v", changed, s.wantChanged)
			}
			w, err := tr.TransformToStorage(ctx, []byte("obj"), key)
			if err != nil || !strings.HasPrefix(string(w), s.wantPrefix) {
				t.Fatalf("write %q %v, want prefix %s", w[:min(len(w), 22)], err, s.wantPrefix)
			}
			if out, _, err := tr.TransformFromStorage(ctx, old, key); err != nil || string(out) != "obj" {
				t.Fatalf("value of the first configuration: %v", err)
			}
		})
	}
	if err := target.Check(ctx); err != nil {
		t.Errorf("health of the reloaded configuration: %v", err)
	}
}

// TestReloadUnhealthyKMS: a new configuration whose KMS plugin never gets healthy
// is not put in force.
func TestReloadUnhealthyKMS(t *testing.T) {
	if testing.Short() {
		t.Skip("waits 10s for the plugin")
	}
	cbc := header + "resources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: key1, secret: " + key32 + "}]}}]\n"
	path := writeConfig(t, cbc)
	first, err := encryptionconfig.LoadFile(ctx, path, true, encryptionconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	target := encryptionconfig.NewTransformers(first)
	t.Cleanup(func() { target.Current().Close() })
	r := encryptionconfig.NewReloader(path, time.Hour, target, encryptionconfig.Options{})
	bad := header + "resources:\n- resources: [secrets]\n  providers: [{kms: {apiVersion: v2, name: k, endpoint: 'unix:///nonexistent/kms.sock', timeout: 100ms}}]\n"
	if err := os.WriteFile(path, []byte(bad), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReloadOnce(ctx); err == nil || !strings.Contains(err.Error(), "health check for new transformers failed") {
		t.Fatalf("err = %v", err)
	}
	if target.Current() != first {
		t.Fatal("unhealthy configuration put in force")
	}
}
