// Package kmsv2test is a fake KMS v2 plugin for tests: a real gRPC server of
// v2.KeyManagementService on a unix socket. It "encrypts" DEKs with AES-256-GCM under
// a key-encryption key derived from the current key id (SHA-256 of
// "kapi-fake-kms:" + key id), so that values it helped encrypt stay readable after its
// key id changes, and so that fixtures made by another program with the same rule
// decrypt.
package kmsv2test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"google.golang.org/grpc"
	kmsapi "k8s.io/kms/apis/v2"
)

// Annotation is the annotation the plugin attaches to every encrypted DEK.
const Annotation = "version.fake.kms.kapi.dev"

// Plugin is a running fake plugin.
type Plugin struct {
	kmsapi.UnimplementedKeyManagementServiceServer
	server *grpc.Server
	// Endpoint is the unix:// endpoint to put in an EncryptionConfiguration.
	Endpoint string
	// Socket is the socket's file path.
	Socket string

	// mu guards the fields below.
	mu       sync.Mutex
	keyID    string
	healthz  string
	version  string
	encrypts int
	decrypts int
}

// Start serves a plugin with keyID until the test ends.
func Start(t testing.TB, keyID string) *Plugin {
	t.Helper()
	// Socket paths are limited to ~108 bytes: t.TempDir() may be too deep.
	dir, err := os.MkdirTemp("", "kms")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	p := &Plugin{keyID: keyID, healthz: "ok", version: "v2", Socket: filepath.Join(dir, "kms.sock")}
	p.Endpoint = "unix://" + p.Socket
	ln, err := net.Listen("unix", p.Socket)
	if err != nil {
		t.Fatal(err)
	}
	p.server = grpc.NewServer()
	kmsapi.RegisterKeyManagementServiceServer(p.server, p)
	go func() { _ = p.server.Serve(ln) }()
	t.Cleanup(p.server.Stop)
	return p
}

// Stop ends the server: the plugin becomes unreachable.
func (p *Plugin) Stop() { p.server.Stop() }

// SetKeyID changes the key id Status and Encrypt report (a KEK rotation).
func (p *Plugin) SetKeyID(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keyID = id
}

// SetHealthz changes what Status reports as health ("ok" is healthy).
func (p *Plugin) SetHealthz(h string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.healthz = h
}

// Calls returns how many Encrypt and Decrypt calls the plugin served.
func (p *Plugin) Calls() (encrypts, decrypts int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.encrypts, p.decrypts
}

// KEK returns the key-encryption key of keyID.
func KEK(keyID string) []byte {
	k := sha256.Sum256([]byte("kapi-fake-kms:" + keyID))
	return k[:]
}

func (p *Plugin) Status(context.Context, *kmsapi.StatusRequest) (*kmsapi.StatusResponse, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return &kmsapi.StatusResponse{Version: p.version, Healthz: p.healthz, KeyId: p.keyID}, nil
}

func (p *Plugin) Encrypt(_ context.Context, req *kmsapi.EncryptRequest) (*kmsapi.EncryptResponse, error) {
	p.mu.Lock()
	keyID := p.keyID
	p.encrypts++
	p.mu.Unlock()
	aead, err := newAEAD(KEK(keyID))
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	return &kmsapi.EncryptResponse{
		Ciphertext:  aead.Seal(nonce, nonce, req.Plaintext, nil),
		KeyId:       keyID,
		Annotations: map[string][]byte{Annotation: []byte("1")},
	}, nil
}

func (p *Plugin) Decrypt(_ context.Context, req *kmsapi.DecryptRequest) (*kmsapi.DecryptResponse, error) {
	p.mu.Lock()
	p.decrypts++
	p.mu.Unlock()
	aead, err := newAEAD(KEK(req.KeyId))
	if err != nil {
		return nil, err
	}
	if len(req.Ciphertext) < aead.NonceSize() {
		return nil, errors.New("ciphertext too short")
	}
	n := aead.NonceSize()
	pt, err := aead.Open(nil, req.Ciphertext[:n], req.Ciphertext[n:], nil)
	if err != nil {
		return nil, err
	}
	return &kmsapi.DecryptResponse{Plaintext: pt}, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
