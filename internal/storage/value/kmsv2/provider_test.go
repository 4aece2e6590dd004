package kmsv2_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/storage/value/aes"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2/kmsv2test"
)

var ctx = context.Background()

// clock is a settable time for providers under test.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Step(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func startProvider(t *testing.T, plugin *kmsv2test.Plugin, c *clock) *kmsv2.Provider {
	t.Helper()
	p, err := kmsv2.New(ctx, kmsv2.Config{Name: "fake", Endpoint: plugin.Endpoint, Timeout: 3 * time.Second, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	return p
}

var authData = []byte("/registry/secrets/default/s1")

func TestProviderRoundTrip(t *testing.T) {
	plugin := kmsv2test.Start(t, "key-1")
	p := startProvider(t, plugin, newClock())
	if err := p.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if p.Prefix() != "k8s:enc:kms:v2:fake:" {
		t.Errorf("prefix %q", p.Prefix())
	}
	stored, err := p.TransformToStorage(ctx, []byte("secret data"), authData)
	if err != nil {
		t.Fatal(err)
	}
	obj, err := kmsv2.UnmarshalEncryptedObject(stored)
	if err != nil {
		t.Fatal(err)
	}
	if obj.KeyID != "key-1" || obj.EncryptedDEKSourceType != kmsv2.DEKSourceHKDFSeed ||
		string(obj.Annotations[kmsv2test.Annotation]) != "1" || len(obj.EncryptedData) != 32+12+len("secret data")+16 {
		t.Errorf("unexpected envelope: key %q type %d annotations %v data %d bytes", obj.KeyID, obj.EncryptedDEKSourceType, obj.Annotations, len(obj.EncryptedData))
	}
	out, stale, err := p.TransformFromStorage(ctx, stored, authData)
	if err != nil || stale || string(out) != "secret data" {
		t.Fatalf("read: %q stale=%v err=%v", out, stale, err)
	}
	if _, _, err := p.TransformFromStorage(ctx, stored, []byte("/registry/secrets/default/s2")); err == nil {
		t.Error("value moved to another key decrypted")
	}
	if enc, dec := plugin.Calls(); enc != 1 || dec != 0 {
		t.Errorf("plugin calls: %d encrypt, %d decrypt; want one DEK encryption and no decryption of our own DEK", enc, dec)
	}

	// Another server (a fresh provider) reads it by asking the plugin once.
	other := startProvider(t, plugin, newClock())
	for i := 0; i < 3; i++ {
		if out, _, err := other.TransformFromStorage(ctx, stored, authData); err != nil || string(out) != "secret data" {
			t.Fatalf("other server read: %q %v", out, err)
		}
	}
	if _, dec := plugin.Calls(); dec != 1 {
		t.Errorf("plugin decrypted the DEK %d times, want 1 (cached)", dec)
	}
}

func TestProviderKeyRotation(t *testing.T) {
	plugin := kmsv2test.Start(t, "key-1")
	c := newClock()
	p := startProvider(t, plugin, c)
	old, err := p.TransformToStorage(ctx, []byte("v1"), authData)
	if err != nil {
		t.Fatal(err)
	}

	plugin.SetKeyID("key-2")
	c.Step(21 * time.Second) // past the healthy check's reuse time
	if err := p.Check(ctx); err != nil {
		t.Fatal(err)
	}
	out, stale, err := p.TransformFromStorage(ctx, old, authData)
	if err != nil || !stale || string(out) != "v1" {
		t.Fatalf("old value: %q stale=%v err=%v, want readable and stale", out, stale, err)
	}
	fresh, err := p.TransformToStorage(ctx, []byte("v2"), authData)
	if err != nil {
		t.Fatal(err)
	}
	if obj, _ := kmsv2.UnmarshalEncryptedObject(fresh); obj.KeyID != "key-2" {
		t.Errorf("new write under key id %q, want key-2", obj.KeyID)
	}
	if _, stale, err := p.TransformFromStorage(ctx, fresh, authData); err != nil || stale {
		t.Errorf("new value stale=%v err=%v", stale, err)
	}
	if enc, _ := plugin.Calls(); enc != 2 {
		t.Errorf("%d DEK encryptions, want 2 (one per key id)", enc)
	}

	// An unchanged key id keeps the DEK.
	c.Step(21 * time.Second)
	if err := p.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if enc, _ := plugin.Calls(); enc != 2 {
		t.Errorf("%d DEK encryptions after an unchanged status, want 2", enc)
	}
}

func TestProviderWriteDeadline(t *testing.T) {
	plugin := kmsv2test.Start(t, "key-1")
	c := newClock()
	p := startProvider(t, plugin, c)
	stored, err := p.TransformToStorage(ctx, []byte("v"), authData)
	if err != nil {
		t.Fatal(err)
	}
	c.Step(3*time.Minute + time.Second)
	if _, err := p.TransformToStorage(ctx, []byte("v"), authData); err == nil || !strings.Contains(err.Error(), "expired at") {
		t.Fatalf("write 3 minutes after the last healthy status: %v, want expired", err)
	}
	if _, _, err := p.TransformFromStorage(ctx, stored, authData); err != nil {
		t.Fatalf("reads do not expire: %v", err)
	}
	if err := p.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := p.TransformToStorage(ctx, []byte("v"), authData); err != nil {
		t.Fatalf("a healthy status extends the DEK: %v", err)
	}
}

func TestProviderHealth(t *testing.T) {
	tests := []struct {
		name  string
		setup func(*kmsv2test.Plugin)
		want  string
	}{
		{name: "healthy", setup: func(*kmsv2test.Plugin) {}},
		{name: "plugin reports an error", setup: func(p *kmsv2test.Plugin) { p.SetHealthz("disk on fire") },
			want: "kmsv2 Provider fake is not healthy, error: got unexpected healthz status: disk on fire"},
		{name: "empty key id", setup: func(p *kmsv2test.Plugin) { p.SetKeyID("") },
			want: "kmsv2 Provider fake is not healthy, error: got invalid KMSv2 KeyID hash \"\": keyID is empty"},
		{name: "plugin gone", setup: func(p *kmsv2test.Plugin) { p.Stop() },
			want: "failed to perform status section of the healthz check for KMS Provider fake, error: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plugin := kmsv2test.Start(t, "key-1")
			c := newClock()
			p, err := kmsv2.New(ctx, kmsv2.Config{Name: "fake", Endpoint: plugin.Endpoint, Timeout: 300 * time.Millisecond, Now: c.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(p.Close)
			tc.setup(plugin)
			c.Step(21 * time.Second)
			err = p.Check(ctx)
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
			// The failure is remembered for 3 seconds.
			if again := p.Check(ctx); again == nil || again.Error() != err.Error() {
				t.Errorf("second check: %v", again)
			}
		})
	}
}

func TestProviderPluginDownAtStart(t *testing.T) {
	c := newClock()
	p, err := kmsv2.New(ctx, kmsv2.Config{Name: "down", Endpoint: "unix:///nonexistent/kms.sock", Timeout: 200 * time.Millisecond, Now: c.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	if _, err := p.TransformToStorage(ctx, []byte("v"), authData); err == nil || err.Error() != "got unexpected nil transformer" {
		t.Fatalf("write without a DEK: %v", err)
	}
	if err := p.Check(ctx); err == nil {
		t.Fatal("check passed without a plugin")
	}
}

// TestProviderReadsLegacyDEK reads a value written by a server without KMS v2 KDF:
// the DEK is an AES-GCM key itself. Such values are stale.
func TestProviderReadsLegacyDEK(t *testing.T) {
	plugin := kmsv2test.Start(t, "key-1")
	p := startProvider(t, plugin, newClock())
	dek := bytes.Repeat([]byte{5}, 32)
	gcm, err := aes.NewGCM(dek)
	if err != nil {
		t.Fatal(err)
	}
	data, err := gcm.TransformToStorage(ctx, []byte("legacy"), authData)
	if err != nil {
		t.Fatal(err)
	}
	kek, err := aes.NewGCM(kmsv2test.KEK("key-1"))
	if err != nil {
		t.Fatal(err)
	}
	// the fake plugin's DEK encryption: nonce || AES-GCM(KEK, DEK), nothing authenticated
	encDEK, err := kek.TransformToStorage(ctx, dek, nil)
	if err != nil {
		t.Fatal(err)
	}
	obj := kmsv2.EncryptedObject{EncryptedData: data, KeyID: "key-1", EncryptedDEKSource: encDEK, EncryptedDEKSourceType: kmsv2.DEKSourceAESGCMKey}
	out, stale, err := p.TransformFromStorage(ctx, obj.Marshal(), authData)
	if err != nil || !stale || string(out) != "legacy" {
		t.Fatalf("legacy value: %q stale=%v err=%v", out, stale, err)
	}
}

func TestProviderBadValues(t *testing.T) {
	plugin := kmsv2test.Start(t, "key-1")
	p := startProvider(t, plugin, newClock())
	tests := []struct {
		name   string
		stored []byte
		want   string
	}{
		{name: "not protobuf", stored: []byte{0xff, 0xff}, want: "unexpected EOF"},
		{name: "empty object", stored: []byte{}, want: "encrypted data is empty"},
		{name: "DEK the plugin cannot decrypt", stored: (&kmsv2.EncryptedObject{EncryptedData: []byte("d"), KeyID: "key-1",
			EncryptedDEKSource: make([]byte, 40), EncryptedDEKSourceType: kmsv2.DEKSourceHKDFSeed}).Marshal(),
			want: "failed to decrypt DEK, error: "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := p.TransformFromStorage(ctx, tc.stored, authData)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
}

// FuzzTransformFromStorage: garbage never panics the provider's read path.
func FuzzTransformFromStorage(f *testing.F) {
	plugin := kmsv2test.Start(f, "key-1")
	p, err := kmsv2.New(ctx, kmsv2.Config{Name: "fuzz", Endpoint: plugin.Endpoint, Timeout: time.Second})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(p.Close)
	good, err := p.TransformToStorage(ctx, []byte("seed"), authData)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, stored []byte) {
		_, _, _ = p.TransformFromStorage(ctx, stored, authData)
	})
}
