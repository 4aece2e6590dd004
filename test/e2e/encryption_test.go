package e2e

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const encryptionConfig = `apiVersion: apiserver.config.k8s.io/v1
kind: EncryptionConfiguration
resources:
- resources: [secrets]
  providers:
  - aescbc:
      keys:
      - name: key1
        secret: MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=
  - identity: {}
`

// startKapiWithArgs is startKapi with extra flags.
func startKapiWithArgs(t *testing.T, dataDir string, extra ...string) *kapiServer {
	t.Helper()
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &kapiServer{dataDir: dataDir, kubeconfig: filepath.Join(dataDir, "admin.kubeconfig"), log: &syncBuffer{}, exited: make(chan struct{})}
	args := append([]string{"--data-dir", dataDir, "--secure-port", strconv.Itoa(port), "--bind-address", "127.0.0.1", "--etcd-compaction-interval", "0"}, extra...)
	s.cmd = exec.Command(kapiBinary, args...)
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.exited)
	}()
	t.Cleanup(func() { _ = s.kill() })
	s.host = "https://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(60 * time.Second)
	for !strings.Contains(s.log.String(), "kapi is serving on https://") {
		select {
		case <-s.exited:
			t.Fatalf("kapi exited before serving (%v):\n%s", s.waitErr, s.log.tail(20))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("kapi did not serve within 60s:\n%s", s.log.tail(20))
		}
	}
	if err := s.waitReady(deadline); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestEncryptionProviderConfig: a secret written with --encryption-provider-config
// is encrypted in etcd, so a restart without the flag cannot read it and one with
// the flag can.
func TestEncryptionProviderConfig(t *testing.T) {
	dataDir := t.TempDir()
	cfg := filepath.Join(t.TempDir(), "encryption.yaml")
	if err := os.WriteFile(cfg, []byte(encryptionConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		args []string
		run  func(t *testing.T, k *kubectlRunner)
	}{
		{name: "write encrypted", args: []string{"--encryption-provider-config", cfg}, run: func(t *testing.T, k *kubectlRunner) {
			k.ok(t, "create", "secret", "generic", "enc", "--from-literal=password=s3cret")
		}},
		// The secrets' watch cache cannot load its first list, so /readyz waits for
		// storage readiness until --storage-initialization-timeout, as upstream's.
		{name: "no configuration cannot read it", args: []string{"--storage-initialization-timeout=2s"}, run: func(t *testing.T, k *kubectlRunner) {
			r := k.run(t, "", "get", "secret", "enc", "-o", "name")
			if r.err == nil || !strings.Contains(r.stderr, "Internal error occurred: identity transformer tried to read encrypted data") {
				t.Fatalf("get without the key: %v\n%s", r.err, r.stderr)
			}
		}},
		{name: "configuration reads it", args: []string{"--encryption-provider-config", cfg}, run: func(t *testing.T, k *kubectlRunner) {
			if out := k.ok(t, "get", "secret", "enc", "-o", "jsonpath={.data.password}"); out != "czNjcmV0" {
				t.Fatalf("password %q", out)
			}
		}},
	}
	for _, step := range steps {
		if !t.Run(step.name, func(t *testing.T) {
			s := startKapiWithArgs(t, dataDir, step.args...)
			step.run(t, newKubectl(t, s))
			if err := s.stop(); err != nil {
				t.Fatal(err)
			}
		}) {
			return
		}
	}
}

// TestEncryptionProviderConfigErrors: bad encryption flags stop the binary with
// upstream's message.
func TestEncryptionProviderConfigErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte(strings.Replace(encryptionConfig, "MTIzNDU2Nzg5MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTI=", "c2hvcnQ=", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "short key", args: []string{"--encryption-provider-config", bad},
			wantErr: `error while parsing file: resources[0].providers[0].aescbc.keys[0].secret: Invalid value: "REDACTED": secret is not of the expected length, got 5, expected one of [16 24 32]`},
		{name: "reload without a file", args: []string{"--encryption-provider-config-automatic-reload"},
			wantErr: "--encryption-provider-config-automatic-reload must be set with --encryption-provider-config"},
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
