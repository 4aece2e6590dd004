package e2e

import (
	"context"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestTLSFlagErrors: the binary refuses bad TLS flag values with a message naming
// the flag, and exits non-zero.
func TestTLSFlagErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "SNI pair without key", args: []string{"--tls-sni-cert-key", "only.crt"},
			wantErr: `invalid argument "only.crt" for "--tls-sni-cert-key" flag: expected comma separated certificate and key file paths`},
		{name: "SNI empty names", args: []string{"--tls-sni-cert-key", "a.crt,a.key:"},
			wantErr: `invalid argument "a.crt,a.key:" for "--tls-sni-cert-key" flag: empty names list is not allowed`},
		{name: "SNI files missing", args: []string{"--tls-sni-cert-key", "/nonexistent/a.crt,/nonexistent/a.key:a.example"},
			wantErr: "failed to load SNI cert and key 0 (/nonexistent/a.crt)"},
		{name: "TLS 1.1", args: []string{"--tls-min-version", "VersionTLS11"},
			wantErr: `--tls-min-version: tls version "VersionTLS11" is insecure and not supported`},
		{name: "unknown version", args: []string{"--tls-min-version", "1.3"},
			wantErr: `--tls-min-version: unknown tls version "1.3"`},
		{name: "insecure suite", args: []string{"--tls-cipher-suites", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,TLS_RSA_WITH_3DES_EDE_CBC_SHA"},
			wantErr: "--tls-cipher-suites: Cipher suite TLS_RSA_WITH_3DES_EDE_CBC_SHA is insecure and not supported"},
		{name: "unknown suite", args: []string{"--tls-cipher-suites", "TLS_NOPE"},
			wantErr: "--tls-cipher-suites: Cipher suite TLS_NOPE not supported or doesn't exist"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			port, err := freePort()
			if err != nil {
				t.Fatal(err)
			}
			c, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			args := append([]string{"--data-dir", t.TempDir(), "--secure-port", strconv.Itoa(port),
				"--bind-address", "127.0.0.1", "--etcd-compaction-interval", "0"}, tc.args...)
			out, err := exec.CommandContext(c, kapiBinary, args...).CombinedOutput()
			if err == nil {
				t.Fatalf("kapi %v exited 0:\n%s", tc.args, out)
			}
			if !strings.Contains(string(out), tc.wantErr) {
				t.Errorf("kapi %v: output lacks %q:\n%s", tc.args, tc.wantErr, out)
			}
		})
	}
}
