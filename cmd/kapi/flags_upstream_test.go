package main

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// TestUpstreamFlagsActedOn: the kube-apiserver flags kapi acts on reach the
// server's configuration, with upstream's defaults when not given.
func TestUpstreamFlagsActedOn(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, cfg server.Config, u upstreamFlags)
	}{
		{"defaults", nil, func(t *testing.T, cfg server.Config, u upstreamFlags) {
			if !u.lookup || u.leaseReuseSeconds != 60 || cfg.EtcdHealthcheckTimeout != 2*time.Second ||
				cfg.EtcdReadycheckTimeout != 2*time.Second || cfg.DeleteCollectionWorkers != 1 || cfg.DisableHTTP2Serving || cfg.CertDir != "" ||
				cfg.DisabledMetrics != nil || cfg.DebugSocketPath != "" || cfg.ShutdownWatchTerminationGracePeriod != 0 ||
				cfg.MaxConnectionBytesPerSec != 0 || cfg.StorageInitializationTimeout != time.Minute {
				t.Errorf("defaults: %+v, lookup %v, lease reuse %d", cfg, u.lookup, u.leaseReuseSeconds)
			}
		}},
		{"set", []string{"--service-account-lookup=false", "--lease-reuse-duration-seconds=30", "--etcd-healthcheck-timeout=5s",
			"--etcd-readycheck-timeout=3s", "--delete-collection-workers=4", "--disable-http2-serving", "--cert-dir=/etc/kapi/pki",
			"--disabled-metrics=a_total,b_seconds", "--debug-socket-path=/run/kapi/debug.sock",
			"--shutdown-watch-termination-grace-period=30s", "--max-connection-bytes-per-sec=65536",
			"--storage-initialization-timeout=2m"},
			func(t *testing.T, cfg server.Config, u upstreamFlags) {
				if u.lookup || u.leaseReuseSeconds != 30 || cfg.EtcdHealthcheckTimeout != 5*time.Second ||
					cfg.EtcdReadycheckTimeout != 3*time.Second || cfg.DeleteCollectionWorkers != 4 || !cfg.DisableHTTP2Serving || cfg.CertDir != "/etc/kapi/pki" ||
					strings.Join(cfg.DisabledMetrics, ",") != "a_total,b_seconds" || cfg.DebugSocketPath != "/run/kapi/debug.sock" ||
					cfg.ShutdownWatchTerminationGracePeriod != 30*time.Second || cfg.MaxConnectionBytesPerSec != 65536 ||
					cfg.StorageInitializationTimeout != 2*time.Minute {
					t.Errorf("set: %+v, lookup %v, lease reuse %d", cfg, u.lookup, u.leaseReuseSeconds)
				}
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := pflag.NewFlagSet("kapi", pflag.ContinueOnError)
			var cfg server.Config
			var u upstreamFlags
			addUpstreamFlags(f, &cfg, &u)
			if err := f.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg, u)
		})
	}
}

// TestUpstreamFlagsChecked: flags kapi takes at one value refuse others, with
// upstream's types checking the rest.
func TestUpstreamFlagsChecked(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"accepted values", []string{"--emulated-version=1.37", "--emulated-version=kube=1.37", "--kubernetes-service-node-port=0",
			"--etcd-servers-overrides=", "--egress-selector-config-file=", "--permit-address-sharing"}, ""},
		{"ignored flags of every type", []string{"--watch-cache-sizes=pods#1000,nodes#100", "--default-watch-cache-size=0",
			"--vmodule=server=4", "--log-flush-frequency=10s", "--allow-metric-labels=m,l='v1,v2'",
			"--kubelet-read-only-port=0", "--enable-logs-handler=false",
			"--aggregator-reject-forwarding-redirect=false", "--tracing-config-file=/etc/tracing.yaml"}, ""},
		{"overrides", []string{"--etcd-servers-overrides=/events#https://127.0.0.1:4002"}, "kapi does not support --etcd-servers-overrides"},
		{"egress selector", []string{"--egress-selector-config-file=/etc/egress.yaml"}, "kapi does not support --egress-selector-config-file"},
		{"another version", []string{"--emulated-version=1.36"}, "kapi supports only --emulated-version=1.37"},
		{"node port", []string{"--kubernetes-service-node-port=30443"}, "kapi supports only --kubernetes-service-node-port=0"},
		{"external signer", []string{"--service-account-signing-endpoint=/run/signer.sock"}, "kapi does not support --service-account-signing-endpoint"},
		{"bad duration", []string{"--etcd-healthcheck-timeout=soon"}, "invalid argument"},
		{"bad ignored value", []string{"--default-watch-cache-size=many"}, "invalid argument"},
		{"reporting another version", []string{"--version=v1.2.3"}, "kapi reports its own version"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := newCommand().Flags().Parse(tc.args)
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("error %v, want %q", err, tc.wantErr)
			}
		})
	}
}

// TestVersionFlag: --version prints what kube-apiserver prints and starts nothing.
func TestVersionFlag(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--version"}, "Kubernetes v1.37.2\n"},
		{[]string{"--version=true"}, "Kubernetes v1.37.2\n"},
		{[]string{"--version=raw"}, `version.Info{Major:"1", Minor:"37", `},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			cmd := newCommand()
			var out bytes.Buffer
			cmd.SetOut(&out)
			// A data dir that cannot be made: starting the server would fail.
			cmd.SetArgs(append(tc.args, "--data-dir=/proc/kapi-must-not-start"))
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(out.String(), tc.want) {
				t.Errorf("printed %q, want %q", out.String(), tc.want)
			}
		})
	}
}

// TestLogIgnoredFlags: the accepted flags kapi does not act on are named in a
// warning when given, and only those.
func TestLogIgnoredFlags(t *testing.T) {
	var logs bytes.Buffer
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(&logs, nil)))
	cmd := newCommand()
	if err := cmd.Flags().Parse([]string{"--vmodule=a=2", "--watch-cache-sizes=pods#10", "--delete-collection-workers=2"}); err != nil {
		t.Fatal(err)
	}
	logIgnoredFlags(cmd.Flags())
	got := logs.String()
	for _, want := range []string{"--vmodule=a=2", "--watch-cache-sizes=[pods#10]"} {
		if !strings.Contains(got, want) {
			t.Errorf("log %q does not name %s", got, want)
		}
	}
	if strings.Contains(got, "delete-collection-workers") {
		t.Errorf("log %q names a flag kapi acts on", got)
	}
}

// TestFlagValues: /flagz gets every flag, given or defaulted.
func TestFlagValues(t *testing.T) {
	f := pflag.NewFlagSet("kapi", pflag.ContinueOnError)
	var cfg server.Config
	var u upstreamFlags
	addUpstreamFlags(f, &cfg, &u)
	if err := f.Parse([]string{"--delete-collection-workers=3", "--vmodule=a=2"}); err != nil {
		t.Fatal(err)
	}
	values := flagValues(f)()
	for name, want := range map[string]string{"delete-collection-workers": "3", "vmodule": "a=2", "service-account-lookup": "true", "cert-dir": ""} {
		if got, ok := values[name]; !ok || got != want {
			t.Errorf("%s = %q (listed %v), want %q", name, got, ok, want)
		}
	}
}
