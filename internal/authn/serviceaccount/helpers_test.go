package serviceaccount

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
)

// testECKeyPEM is an EC P-256 key made with openssl; testECKeyID is its key id as
// computed with openssl (DER of the public key, SHA-256, base64url without padding).
const (
	testECKeyPEM = `-----BEGIN EC PRIVATE KEY-----
MHcCAQEEIOhAdIzb8PiPjCWkV8E88JRoJsQ28rFmD6ZL7VjW1wgboAoGCCqGSM49
AwEHoUQDQgAEIXEPHZozpdbburOYZEaJ5sqgS5v7PMhmmReFeqw2Ci2n6pAbLM7Z
EH8x/t6V4FQXtkDXPENq7oOzDEUL/Va4IA==
-----END EC PRIVATE KEY-----
`
	testECKeyID = "928kHlRyO5ackI7t4aMD7E6NdvbDtI9Ll9BrbqBIkFY"
)

var (
	rsaOnce sync.Once
	rsaKey  *rsa.PrivateKey
)

// testRSAKey is one 2048-bit key shared by the tests (generating it is slow).
func testRSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	rsaOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(err)
		}
		rsaKey = k
	})
	return rsaKey
}

func newECKey(t testing.TB, c elliptic.Curve) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(c, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func publicKeyOf(t testing.TB, k crypto.Signer) PublicKey {
	t.Helper()
	pk, err := NewPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	return pk
}

// objects is an in-memory ObjectGetter and LegacyTokenTracker.
type objects struct {
	mu              sync.Mutex
	serviceAccounts map[string]*corev1.ServiceAccount
	pods            map[string]*corev1.Pod
	secrets         map[string]*corev1.Secret
	nodes           map[string]*corev1.Node
	marked          []string
}

func newObjects() *objects {
	return &objects{
		serviceAccounts: map[string]*corev1.ServiceAccount{},
		pods:            map[string]*corev1.Pod{},
		secrets:         map[string]*corev1.Secret{},
		nodes:           map[string]*corev1.Node{},
	}
}

func meta(ns, name, uid string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: ns, Name: name, UID: types.UID(uid)}
}

func notFound(resource, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Resource: resource}, name)
}

func (o *objects) ServiceAccount(_ context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v, ok := o.serviceAccounts[ns+"/"+name]; ok {
		return v, nil
	}
	return nil, notFound("serviceaccounts", name)
}

func (o *objects) Pod(_ context.Context, ns, name string) (*corev1.Pod, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v, ok := o.pods[ns+"/"+name]; ok {
		return v, nil
	}
	return nil, notFound("pods", name)
}

func (o *objects) Secret(_ context.Context, ns, name string) (*corev1.Secret, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v, ok := o.secrets[ns+"/"+name]; ok {
		return v, nil
	}
	return nil, notFound("secrets", name)
}

func (o *objects) Node(_ context.Context, name string) (*corev1.Node, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if v, ok := o.nodes[name]; ok {
		return v, nil
	}
	return nil, notFound("nodes", name)
}

func (o *objects) MarkLegacyTokenUsed(_ context.Context, s *corev1.Secret, day string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.marked = append(o.marked, s.Namespace+"/"+s.Name+"="+day)
	return nil
}

// fixedClock returns a time function stuck at t.
func fixedClock(t time.Time) func() time.Time { return func() time.Time { return t } }
