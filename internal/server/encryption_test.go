package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2/kmsv2test"
)

// upstreamDir holds values kube-apiserver encrypted, and the configuration it used.
const upstreamDir = "../storage/value/encryptionconfig/testdata/upstream"

// upstreamFixture is one entry of values.json.
type upstreamFixture struct {
	Name, Key        string
	Value, Plaintext string // base64
}

// secretsConfig puts every provider of the upstream fixtures' configuration on
// secrets (so that all fixtures, stored as secrets, read through the API), followed
// by identity; configmaps get kms, '*.apps' secretbox.
func secretsConfig(t *testing.T, endpoint string) string {
	t.Helper()
	tmpl, err := os.ReadFile(filepath.Join(upstreamDir, "config.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	upstream, err := encryptionconfig.Parse(bytes.ReplaceAll(tmpl, []byte("@ENDPOINT@"), []byte(endpoint)), false)
	if err != nil {
		t.Fatal(err)
	}
	var all []encryptionconfig.ProviderConfiguration
	for _, rc := range upstream.Resources {
		all = append(all, rc.Providers...)
	}
	var kms encryptionconfig.KMSConfiguration
	var box *encryptionconfig.SecretboxConfiguration
	for _, p := range all {
		if p.KMS != nil {
			kms = *p.KMS
		}
		if p.Secretbox != nil {
			box = p.Secretbox
		}
	}
	kms.Name = "cmkms"
	cfg := encryptionconfig.EncryptionConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: encryptionconfig.APIVersion, Kind: encryptionconfig.Kind},
		Resources: []encryptionconfig.ResourceConfiguration{
			{Resources: []string{"secrets"}, Providers: all},
			{Resources: []string{"configmaps"}, Providers: []encryptionconfig.ProviderConfiguration{{KMS: &kms}}},
			{Resources: []string{"*.apps"}, Providers: []encryptionconfig.ProviderConfiguration{{Secretbox: box}}},
		},
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func raw(t *testing.T, c *clientv3.Client, key string) []byte {
	t.Helper()
	resp, err := c.Get(context.Background(), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw read of %s: %v (%d values)", key, err, len(resp.Kvs))
	}
	return resp.Kvs[0].Value
}

func TestEncryptionAtRest(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	plugin := kmsv2test.Start(t, "fixture-key")
	path := secretsConfig(t, plugin.Endpoint)
	in := servertest.StartWith(t, func(c *server.Config) { c.EncryptionProviderConfig = path })
	client := kubernetes.NewForConfigOrDie(in.Config)

	t.Run("stored values carry the provider prefix", func(t *testing.T) {
		secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s1"}, Data: map[string][]byte{"password": []byte("hunter2-plaintext")}}
		if _, err := client.CoreV1().Secrets("default").Create(ctx, secret, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c1"}, Data: map[string]string{"k": "configmap-plaintext"}}
		if _, err := client.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{"app": "d1"}
		dep := &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Name: "d1"}, Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "deployment-plaintext"}}}},
		}}
		if _, err := client.AppsV1().Deployments("default").Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			key, prefix, secret string
		}{
			{key: "/registry/secrets/default/s1", prefix: "k8s:enc:aescbc:v1:key1:", secret: "hunter2-plaintext"},
			{key: "/registry/configmaps/default/c1", prefix: "k8s:enc:kms:v2:cmkms:", secret: "configmap-plaintext"},
			{key: "/registry/deployments/default/d1", prefix: "k8s:enc:secretbox:v1:sbkey:", secret: "deployment-plaintext"},
			{key: "/registry/namespaces/default", prefix: "k8s\x00"},
		}
		for _, tc := range tests {
			v := raw(t, in.Etcd, tc.key)
			if !bytes.HasPrefix(v, []byte(tc.prefix)) {
				t.Errorf("%s stored as %q, want prefix %q", tc.key, v[:min(len(v), 30)], tc.prefix)
			}
			if tc.secret != "" && bytes.Contains(v, []byte(tc.secret)) {
				t.Errorf("%s holds its plaintext", tc.key)
			}
		}
		got, err := client.CoreV1().Secrets("default").Get(ctx, "s1", metav1.GetOptions{})
		if err != nil || string(got.Data["password"]) != "hunter2-plaintext" {
			t.Fatalf("read back: %v %v", got, err)
		}
	})

	t.Run("watch cache serves encrypted resources", func(t *testing.T) {
		w, err := client.CoreV1().ConfigMaps("default").Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=c2"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c2"}, Data: map[string]string{"k": "watched"}}
		if _, err := client.CoreV1().ConfigMaps("default").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		select {
		case ev := <-w.ResultChan():
			if got, ok := ev.Object.(*corev1.ConfigMap); ev.Type != watch.Added || !ok || got.Data["k"] != "watched" {
				t.Fatalf("event %s %#v", ev.Type, ev.Object)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("no watch event")
		}
		list, err := client.CoreV1().ConfigMaps("default").List(ctx, metav1.ListOptions{ResourceVersion: "0"})
		if err != nil || len(list.Items) < 2 {
			t.Fatalf("list from the cache: %v %v", list, err)
		}
	})

	t.Run("values kube-apiserver encrypted read through the API", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(upstreamDir, "values.json"))
		if err != nil {
			t.Fatal(err)
		}
		var fixtures []upstreamFixture
		if err := json.Unmarshal(data, &fixtures); err != nil {
			t.Fatal(err)
		}
		for _, f := range fixtures {
			t.Run(f.Name, func(t *testing.T) {
				v, err := base64.StdEncoding.DecodeString(f.Value)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := in.Etcd.Put(ctx, f.Key, string(v)); err != nil {
					t.Fatal(err)
				}
				got, err := client.CoreV1().Secrets("default").Get(ctx, f.Name, metav1.GetOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if string(got.Data["password"]) != "upstream-encrypted" || got.Name != f.Name {
					t.Fatalf("secret %s: %v", got.Name, got.Data)
				}
			})
		}
	})

	t.Run("kms health on healthz and readyz, not livez", func(t *testing.T) {
		c := in.HTTPClient(t)
		for _, tc := range []struct {
			path string
			want bool
		}{{"/healthz?verbose", true}, {"/readyz?verbose", true}, {"/livez?verbose", false}} {
			resp, err := c.Get(in.URL + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if has := strings.Contains(string(body), "[+]kms-providers ok\n"); has != tc.want || resp.StatusCode != http.StatusOK {
				t.Errorf("%s (%d):\n%s", tc.path, resp.StatusCode, body)
			}
		}
		resp, err := c.Get(in.URL + "/healthz/kms-providers")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("/healthz/kms-providers: %d", resp.StatusCode)
		}
	})

	t.Run("an undecryptable value is a 500", func(t *testing.T) {
		if _, err := in.Etcd.Put(ctx, "/registry/secrets/kube-public/broken", "k8s:enc:aesgcm:v1:gcmkey:not-a-valid-ciphertext"); err != nil {
			t.Fatal(err)
		}
		_, err := client.CoreV1().Secrets("kube-public").Get(ctx, "broken", metav1.GetOptions{})
		if !apierrors.IsInternalError(err) || err.Error() != "Internal error occurred: cipher: message authentication failed" {
			t.Fatalf("get: %v", err)
		}
		_, err = client.CoreV1().Secrets("kube-public").List(ctx, metav1.ListOptions{Limit: 10})
		if !apierrors.IsInternalError(err) || !strings.Contains(err.Error(), `unable to transform key "/registry/secrets/kube-public/broken"`) {
			t.Fatalf("list: %v", err)
		}
		if _, err := in.Etcd.Delete(ctx, "/registry/secrets/kube-public/broken"); err != nil {
			t.Fatal(err)
		}
	})
}

// TestEncryptionKeyRotationWithReload follows upstream's rotation procedure on a
// running server with --encryption-provider-config-automatic-reload: a new key is
// made first in the file, and rewriting an unchanged secret re-encrypts it.
func TestEncryptionKeyRotationWithReload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	const (
		key1 = "{name: key1, secret: MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=}"
		key2 = "{name: key2, secret: YWJjZGVmZ2hpamtsbW5vcA==}"
	)
	config := func(keys ...string) []byte {
		return []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers:\n  - aesgcm: {keys: [" +
			strings.Join(keys, ", ") + "]}\n  - identity: {}\n")
	}
	path := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(path, config(key1), 0o600); err != nil {
		t.Fatal(err)
	}
	in := servertest.StartWith(t, func(c *server.Config) {
		c.EncryptionProviderConfig = path
		c.EncryptionProviderConfigAutomaticReload = true
		c.EncryptionProviderConfigReloadInterval = 100 * time.Millisecond
	})
	client := kubernetes.NewForConfigOrDie(in.Config).CoreV1().Secrets("default")
	create := func(name string) {
		t.Helper()
		if _, err := client.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, Data: map[string][]byte{"k": []byte(name)}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	prefix := func(name string) string {
		v := raw(t, in.Etcd, "/registry/secrets/default/"+name)
		return string(v[:min(len(v), len("k8s:enc:aesgcm:v1:key1:"))])
	}
	// waitForWrites writes probe secrets until one is stored with want.
	waitForWrites := func(want string) {
		t.Helper()
		for i := 0; ; i++ {
			name := "probe-" + strings.TrimSuffix(want[len(want)-5:], ":") + "-" + string(rune('a'+i%26)) + string(rune('a'+i/26))
			create(name)
			if prefix(name) == want {
				return
			}
			if i > 200 {
				t.Fatalf("writes never used %s", want)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	create("old")
	if got := prefix("old"); got != "k8s:enc:aesgcm:v1:key1:" {
		t.Fatalf("old secret stored with %q", got)
	}
	if err := os.WriteFile(path, config(key2, key1), 0o600); err != nil {
		t.Fatal(err)
	}
	waitForWrites("k8s:enc:aesgcm:v1:key2:")
	// Rewrite the unchanged secret, as `kubectl get secrets -o json | kubectl replace -f -` does.
	old, err := client.Get(ctx, "old", metav1.GetOptions{})
	if err != nil || string(old.Data["k"]) != "old" {
		t.Fatalf("old secret after the reload: %v", err)
	}
	if _, err := client.Update(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := prefix("old"); got != "k8s:enc:aesgcm:v1:key2:" {
		t.Fatalf("rewritten secret stored with %q, want key2", got)
	}
	// An invalid file is ignored: the server keeps writing with key2.
	if err := os.WriteFile(path, []byte("kind: EncryptionConfiguration\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond)
	create("after-bad-file")
	if got := prefix("after-bad-file"); got != "k8s:enc:aesgcm:v1:key2:" {
		t.Fatalf("after an invalid file, stored with %q", got)
	}
	resp, err := in.HTTPClient(t).Get(in.URL + "/healthz/kms-providers")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz/kms-providers with reload: %d", resp.StatusCode)
	}
}

// TestEncryptionConfigErrorsStopStart: a bad configuration fails server start with
// upstream's message.
func TestEncryptionConfigErrorsStopStart(t *testing.T) {
	etcd := etcdtest.Start(t)
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n- resources: [secrets]\n  providers: [{aescbc: {keys: [{name: k, secret: c2hvcnQ=}]}}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts server.EncryptionOptions
		want string
	}{
		{name: "short key", opts: server.EncryptionOptions{EncryptionProviderConfig: bad},
			want: `error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 5, expected one of [16 24 32]`},
		{name: "missing file", opts: server.EncryptionOptions{EncryptionProviderConfig: bad + ".missing"},
			want: "error while parsing file: error while loading file: error reading encryption provider configuration file"},
		{name: "reload without a file", opts: server.EncryptionOptions{EncryptionProviderConfigAutomaticReload: true},
			want: "--encryption-provider-config-automatic-reload must be set with --encryption-provider-config"},
	}
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), EtcdServers: etcd.Endpoints(), Out: devNull, EncryptionOptions: tc.opts}
			_, err := server.New(context.Background(), cfg)
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v\nwant prefix %s", err, tc.want)
			}
		})
	}
}
