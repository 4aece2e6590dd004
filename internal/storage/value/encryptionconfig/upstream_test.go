package encryptionconfig_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2/kmsv2test"
)

// fixture is one value kube-apiserver encrypted (testdata/upstream/README.md).
type fixture struct {
	Name, Group, Resource, Key string
	Value, Plaintext           []byte
}

func readFixtures(t *testing.T) []fixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "upstream", "values.json"))
	if err != nil {
		t.Fatal(err)
	}
	var raw []struct{ Name, Group, Resource, Key, Value, Plaintext string }
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	var out []fixture
	for _, r := range raw {
		v, err1 := base64.StdEncoding.DecodeString(r.Value)
		p, err2 := base64.StdEncoding.DecodeString(r.Plaintext)
		if err1 != nil || err2 != nil {
			t.Fatalf("fixture %s: %v %v", r.Name, err1, err2)
		}
		out = append(out, fixture{Name: r.Name, Group: r.Group, Resource: r.Resource, Key: r.Key, Value: v, Plaintext: p})
	}
	return out
}

// upstreamConfig writes testdata/upstream/config.yaml with the fake plugin's socket.
func upstreamConfig(t *testing.T, endpoint string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join("testdata", "upstream", "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return writeConfig(t, strings.ReplaceAll(string(tmpl), "@ENDPOINT@", endpoint))
}

// TestUpstreamFixtures decrypts values kube-apiserver wrote, with the configuration
// it wrote them with, and checks that ours carry the same prefixes.
func TestUpstreamFixtures(t *testing.T) {
	plugin := kmsv2test.Start(t, "fixture-key")
	b, err := encryptionconfig.LoadFile(ctx, upstreamConfig(t, plugin.Endpoint), false, encryptionconfig.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	for _, f := range readFixtures(t) {
		t.Run(f.Name, func(t *testing.T) {
			tr := b.TransformerFor(schema.GroupResource{Group: f.Group, Resource: f.Resource})
			out, stale, err := tr.TransformFromStorage(ctx, f.Value, []byte(f.Key))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, f.Plaintext) {
				t.Fatal("decrypted bytes differ from upstream's plaintext")
			}
			// key2 is second in config.yaml: its value is readable but stale.
			if wantStale := strings.HasSuffix(f.Name, "-key2"); stale != wantStale {
				t.Errorf("stale = %v, want %v", stale, wantStale)
			}
			if _, _, err := tr.TransformFromStorage(ctx, f.Value, []byte(f.Key+"-moved")); err == nil && f.Resource != "secrets" && f.Resource != "deployments" {
				t.Error("AEAD value decrypted under another etcd key")
			}
			ours, err := tr.TransformToStorage(ctx, f.Plaintext, []byte(f.Key))
			if err != nil {
				t.Fatal(err)
			}
			prefixLen := bytes.LastIndexByte(f.Value[:min(len(f.Value), 40)], ':') + 1
			if f.Resource == "serviceaccounts" {
				prefixLen = len("k8s:enc:kms:v2:fakekms:")
			}
			if !strings.HasSuffix(f.Name, "-key2") && !bytes.Equal(ours[:prefixLen], f.Value[:prefixLen]) {
				t.Errorf("our prefix %q, upstream's %q", ours[:prefixLen], f.Value[:prefixLen])
			}
			if len(ours) != len(f.Value) && f.Resource != "serviceaccounts" {
				t.Errorf("our value is %d bytes, upstream's %d", len(ours), len(f.Value))
			}
		})
	}
}
