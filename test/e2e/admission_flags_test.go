package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestAdmissionFlagErrors starts the binary with bad admission flags: it must exit
// with upstream's messages.
func TestAdmissionFlagErrors(t *testing.T) {
	badCfg := filepath.Join(t.TempDir(), "admission.yaml")
	if err := os.WriteFile(badCfg, []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugin: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown enabled plugin", []string{"--enable-admission-plugins", "NamespaceLifecycle,Bogus"}, `enable-admission-plugins plugin "Bogus" is unknown`},
		{"unknown disabled plugin", []string{"--disable-admission-plugins", "Nope"}, `disable-admission-plugins plugin "Nope" is unknown`},
		{"overlap", []string{"--enable-admission-plugins", "AlwaysDeny", "--disable-admission-plugins", "AlwaysDeny"}, `[AlwaysDeny] in enable-admission-plugins and disable-admission-plugins overlapped`},
		{"missing config file", []string{"--admission-control-config-file", "/nonexistent/admission.yaml"}, `unable to read admission control configuration from "/nonexistent/admission.yaml"`},
		{"bad config file", []string{"--admission-control-config-file", badCfg}, `unknown field "plugin"`},
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
