package kmsv2

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	kmsapi "k8s.io/kms/apis/v2"
)

// Service is what the provider needs from a KMS v2 plugin.
type Service interface {
	// Status reports the plugin's health, API version and current key id; polled.
	Status(ctx context.Context) (*kmsapi.StatusResponse, error)
	// Encrypt encrypts a DEK seed; called when the DEK is rotated.
	Encrypt(ctx context.Context, uid string, plaintext []byte) (*kmsapi.EncryptResponse, error)
	// Decrypt decrypts the DEK source of a stored value; called on a DEK cache miss.
	Decrypt(ctx context.Context, uid string, req *kmsapi.DecryptRequest) ([]byte, error)
	// Close releases the connection.
	Close() error
}

// grpcService calls a plugin over its unix socket, each call bounded by timeout.
type grpcService struct {
	conn    *grpc.ClientConn
	client  kmsapi.KeyManagementServiceClient
	timeout time.Duration
}

// SocketPath returns the socket a unix:// endpoint names: its path, or for
// unix:///@name the abstract socket @name.
func SocketPath(endpoint string) (string, error) {
	if endpoint == "" {
		return "", fmt.Errorf("remote KMS provider can't use empty string as endpoint")
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return "", fmt.Errorf("invalid endpoint %q for remote KMS provider, error: %v", endpoint, err)
	}
	if u.Scheme != "unix" {
		return "", fmt.Errorf("unsupported scheme %q for remote KMS provider", u.Scheme)
	}
	if strings.HasPrefix(u.Path, "/@") {
		return u.Path[1:], nil
	}
	return u.Path, nil
}

// Dial prepares a connection to the plugin at endpoint; it connects lazily, and
// calls wait (up to timeout) for the plugin to come up.
func Dial(endpoint string, timeout time.Duration) (Service, error) {
	path, err := SocketPath(endpoint)
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient("passthrough:///"+path,
		grpc.WithAuthority("localhost"),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.WaitForReady(true)),
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("failed to create connection to %s, error: %v", endpoint, err)
	}
	return &grpcService{conn: conn, client: kmsapi.NewKeyManagementServiceClient(conn), timeout: timeout}, nil
}

func (g *grpcService) Status(ctx context.Context) (*kmsapi.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	return g.client.Status(ctx, &kmsapi.StatusRequest{})
}

func (g *grpcService) Encrypt(ctx context.Context, uid string, plaintext []byte) (*kmsapi.EncryptResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	return g.client.Encrypt(ctx, &kmsapi.EncryptRequest{Plaintext: plaintext, Uid: uid})
}

func (g *grpcService) Decrypt(ctx context.Context, uid string, req *kmsapi.DecryptRequest) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, g.timeout)
	defer cancel()
	r := &kmsapi.DecryptRequest{Ciphertext: req.Ciphertext, Uid: uid, KeyId: req.KeyId, Annotations: req.Annotations}
	resp, err := g.client.Decrypt(ctx, r)
	if err != nil {
		return nil, err
	}
	return resp.Plaintext, nil
}

func (g *grpcService) Close() error { return g.conn.Close() }
