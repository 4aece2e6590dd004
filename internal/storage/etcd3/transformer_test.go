package etcd3_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/etcdtest"
	"github.com/kapi-dev/kapi/internal/storage/storagetest"
	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
)

func gcmKey(t testing.TB, name string, fill byte) value.Prefixed {
	t.Helper()
	tr, err := aes.NewGCM(bytes.Repeat([]byte{fill}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return value.Prefixed{Prefix: []byte(name + ":"), Transformer: tr}
}

// encryption is an aesgcm provider with the given keys, the first writing.
func encryption(keys ...value.Prefixed) value.Transformer {
	provider := value.NewPrefixList(errors.New("no matching key"), keys...)
	return value.NewPrefixList(errors.New("no matching prefix found"),
		value.Prefixed{Prefix: []byte("k8s:enc:aesgcm:v1:"), Transformer: provider})
}

// TestStorageSuiteEncrypted runs the whole storage suite with values encrypted.
func TestStorageSuiteEncrypted(t *testing.T) {
	storagetest.RunTests(t, func(t *testing.T) (storage.Interface, *clientv3.Client) {
		c := etcdtest.Start(t)
		return etcd3.New(c, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix,
			etcd3.WithTransformer(encryption(gcmKey(t, "k1", 1)))), c
	})
}

func pod(name string) *corev1.Pod {
	return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: corev1.PodSpec{NodeName: "n1"}}
}

func newStore(c *clientv3.Client, t value.Transformer) *etcd3.Store {
	return etcd3.New(c, storagetest.Codec(), storagetest.GVK, storagetest.NewFunc, storagetest.NewListFunc, storagetest.Prefix, etcd3.WithTransformer(t))
}

func rawValue(t *testing.T, c *clientv3.Client, key string) []byte {
	t.Helper()
	resp, err := c.Get(context.Background(), key)
	if err != nil || len(resp.Kvs) != 1 {
		t.Fatalf("raw get %s: %v", key, err)
	}
	return resp.Kvs[0].Value
}

// TestStaleValuesAreRewritten: an update that changes nothing still writes when the
// stored value is not under the current key, which is how a key rotation re-encrypts.
func TestStaleValuesAreRewritten(t *testing.T) {
	ctx := context.Background()
	c := etcdtest.Start(t)
	key := storagetest.Key("ns", "p1")
	old := newStore(c, encryption(gcmKey(t, "k1", 1)))
	if err := old.Create(ctx, key, pod("p1"), &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	if raw := rawValue(t, c, key); !bytes.HasPrefix(raw, []byte("k8s:enc:aesgcm:v1:k1:")) || bytes.Contains(raw, []byte("n1")) {
		t.Fatalf("stored %q, want an encrypted value", raw[:min(len(raw), 30)])
	}
	noop := func(obj runtime.Object) (runtime.Object, error) { return obj, nil }

	tests := []struct {
		name       string
		store      *etcd3.Store
		wantPrefix string
		wantWrite  bool
	}{
		{name: "current key: no write", store: old, wantPrefix: "k8s:enc:aesgcm:v1:k1:"},
		{name: "rotated: stale value rewritten with the new key", store: newStore(c, encryption(gcmKey(t, "k2", 2), gcmKey(t, "k1", 1))), wantPrefix: "k8s:enc:aesgcm:v1:k2:", wantWrite: true},
		{name: "rewritten value is current", store: newStore(c, encryption(gcmKey(t, "k2", 2), gcmKey(t, "k1", 1))), wantPrefix: "k8s:enc:aesgcm:v1:k2:"},
		{name: "decrypting: identity first rewrites in plaintext", store: newStore(c, value.NewPrefixList(errors.New("none"),
			value.Prefixed{Prefix: []byte{}, Transformer: value.Identity()},
			value.Prefixed{Prefix: []byte("k8s:enc:aesgcm:v1:"), Transformer: value.NewPrefixList(errors.New("no key"), gcmKey(t, "k2", 2))})),
			wantPrefix: "k8s\x00", wantWrite: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := c.Get(ctx, key)
			out := &corev1.Pod{}
			if err := tc.store.GuaranteedUpdate(ctx, key, out, false, nil, noop); err != nil {
				t.Fatal(err)
			}
			after, _ := c.Get(ctx, key)
			if wrote := after.Kvs[0].ModRevision != before.Kvs[0].ModRevision; wrote != tc.wantWrite {
				t.Errorf("wrote = %v, want %v", wrote, tc.wantWrite)
			}
			if raw := after.Kvs[0].Value; !bytes.HasPrefix(raw, []byte(tc.wantPrefix)) {
				t.Errorf("stored %q, want prefix %q", raw[:min(len(raw), 24)], tc.wantPrefix)
			}
			if out.Spec.NodeName != "n1" {
				t.Errorf("object after update: %+v", out.Spec)
			}
		})
	}
}

// TestUndecryptableValues: a value no configured key decrypts is a 500 on every read
// path, with upstream's messages.
func TestUndecryptableValues(t *testing.T) {
	ctx := context.Background()
	c := etcdtest.Start(t)
	key := storagetest.Key("ns", "p1")
	if err := newStore(c, encryption(gcmKey(t, "k1", 1))).Create(ctx, key, pod("p1"), &corev1.Pod{}); err != nil {
		t.Fatal(err)
	}
	wrongKey := newStore(c, encryption(gcmKey(t, "k1", 9)))
	noKey := newStore(c, value.Identity())
	tests := []struct {
		name string
		run  func() error
		want string
	}{
		{name: "get with the wrong key", run: func() error {
			return wrongKey.Get(ctx, key, storage.GetOptions{}, &corev1.Pod{})
		}, want: "Internal error occurred: cipher: message authentication failed"},
		{name: "get without encryption", run: func() error {
			return noKey.Get(ctx, key, storage.GetOptions{}, &corev1.Pod{})
		}, want: "Internal error occurred: identity transformer tried to read encrypted data"},
		{name: "list", run: func() error {
			return wrongKey.GetList(ctx, storagetest.Prefix, storage.ListOptions{Recursive: true, Predicate: storage.Everything}, &corev1.PodList{})
		}, want: `Internal error occurred: unable to transform key "/registry/pods/ns/p1": cipher: message authentication failed`},
		{name: "update", run: func() error {
			return wrongKey.GuaranteedUpdate(ctx, key, &corev1.Pod{}, false, nil, func(o runtime.Object) (runtime.Object, error) { return o, nil })
		}, want: "Internal error occurred: cipher: message authentication failed"},
		{name: "delete", run: func() error {
			return wrongKey.Delete(ctx, key, &corev1.Pod{}, nil, nil)
		}, want: "Internal error occurred: cipher: message authentication failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			var status apierrors.APIStatus
			if !errors.As(err, &status) || status.Status().Code != http.StatusInternalServerError || status.Status().Reason != metav1.StatusReasonInternalError {
				t.Fatalf("err = %#v, want a 500 InternalError", err)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("message %q, want %q", err.Error(), tc.want)
			}
		})
	}
}
