package main

import (
	"fmt"
	"io"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// upstreamFlags holds kube-apiserver flags whose values main reads after parsing.
type upstreamFlags struct {
	version           versionFlag
	lookup            bool
	leaseReuseSeconds int64
}

// addUpstreamFlags registers the rest of kube-apiserver v1.37's flags: those kapi
// acts on, those it accepts at their one supported value (fixed), and those it
// accepts and does not act on (ignoredFlags, logged at start when given).
func addUpstreamFlags(f *pflag.FlagSet, cfg *server.Config, u *upstreamFlags) {
	f.Var(&u.version, "version", "--version, --version=raw prints version information and quits")
	f.Lookup("version").NoOptDefVal = "true"
	f.BoolVar(&u.lookup, "service-account-lookup", true, "if true, validate ServiceAccount tokens exist in etcd as part of authentication")
	f.Int64Var(&u.leaseReuseSeconds, "lease-reuse-duration-seconds", 60, "the time in seconds that each lease is reused; a lower value could avoid large number of objects reusing the same lease")
	f.DurationVar(&cfg.EtcdHealthcheckTimeout, "etcd-healthcheck-timeout", 2*time.Second, "the timeout to use when checking etcd health")
	f.DurationVar(&cfg.EtcdReadycheckTimeout, "etcd-readycheck-timeout", 2*time.Second, "the timeout to use when checking etcd readiness")
	f.IntVar(&cfg.DeleteCollectionWorkers, "delete-collection-workers", 1, "number of workers spawned for DeleteCollection call; these are used to speed up namespace cleanup")
	f.BoolVar(&cfg.DisableHTTP2Serving, "disable-http2-serving", false, "if true, HTTP2 serving will be disabled")
	f.StringVar(&cfg.CertDir, "cert-dir", "", "the directory of the generated certificates and keys when --tls-cert-file is not given (default --data-dir/pki)")
	f.StringSliceVar(&cfg.DisabledMetrics, "disabled-metrics", nil, "metrics /metrics leaves out, by their full names (an escape hatch for misbehaving metrics)")
	f.Bool("permit-address-sharing", false, "if true, SO_REUSEADDR will be used when binding the port; Go sets it on every listener, so kapi always does")

	for _, fl := range []struct {
		fixed
		usage string
	}{
		{fixed{name: "etcd-servers-overrides"}, "per-resource etcd servers overrides; kapi keeps every resource in --etcd-servers"},
		{fixed{name: "egress-selector-config-file"}, "file with apiserver egress selector configuration; kapi dials directly and has no egress selector"},
		{fixed{name: "service-account-signing-endpoint"}, "path of an external token signer's socket; kapi signs with --service-account-signing-key-file"},
		{fixed{name: "tls-curve-preferences"}, "the key exchange curves of TLS; kapi offers Go's defaults"},
		{fixed{name: "kubernetes-service-node-port", value: "0"}, "a node port for the kubernetes Service; kapi's is a ClusterIP Service"},
		{fixed{name: "emulated-version", value: "1.37", also: []string{"", "kube=1.37"}}, "the Kubernetes version to emulate; kapi is v1.37 only"},
	} {
		v := fl.fixed
		f.Var(&v, v.name, fl.usage)
	}
	addIgnoredFlags(f)
}

// addIgnoredFlags registers the kube-apiserver flags kapi accepts without acting
// on them, with upstream's types and defaults so that values are checked as
// upstream checks them.
func addIgnoredFlags(f *pflag.FlagSet) {
	// Every flag registered before these is one kapi acts on.
	known := map[string]bool{}
	f.VisitAll(func(fl *pflag.Flag) { known[fl.Name] = true })
	f.Int("default-watch-cache-size", 100, "default watch cache size; kapi's watch cache keeps what it needs")
	f.StringSlice("watch-cache-sizes", nil, "watch cache size settings for some resources (resource[.group]#size); kapi's watch cache keeps what it needs")
	f.Duration("etcd-count-metric-poll-period", time.Minute, "frequency of polling etcd for number of resources per type")
	f.Duration("etcd-db-metric-poll-interval", 30*time.Second, "the interval of requests to poll etcd and update metric")
	f.Duration("storage-initialization-timeout", time.Minute, "maximum amount of time to wait for storage initialization before declaring apiserver ready")
	f.Duration("shutdown-watch-termination-grace-period", 0, "the grace period for open watches to drain at shutdown; kapi ends watches when the shutdown starts")
	f.Duration("coordinated-leadership-lease-duration", 15*time.Second, "the duration of the lease used for coordinated leader election")
	f.Duration("coordinated-leadership-renew-deadline", 10*time.Second, "the deadline for renewing a coordinated leader election lease")
	f.Duration("coordinated-leadership-retry-period", 2*time.Second, "the period for retrying to renew a coordinated leader election lease")
	f.String("tracing-config-file", "", "file with apiserver tracing configuration")
	f.String("debug-socket-path", "", "use an unprotected (no authn/authz) unix-domain socket for profiling with the given path")
	f.String("vmodule", "", "comma-separated list of pattern=N settings for file-filtered logging (only works for text log format)")
	f.Duration("log-flush-frequency", 5*time.Second, "maximum number of seconds between log flushes; kapi writes every line at once")
	f.String("log-json-info-buffer-size", "0", "[Alpha] in JSON format with split output streams, the info messages can be buffered for a while to increase performance")
	f.Bool("log-json-split-stream", false, "[Alpha] in JSON format, write error messages to stderr and info messages to stdout")
	f.String("log-text-info-buffer-size", "0", "[Alpha] in text format with split output streams, the info messages can be buffered for a while to increase performance")
	f.Bool("log-text-split-stream", false, "[Alpha] in text format, write error messages to stderr and info messages to stdout")
	f.String("show-hidden-metrics-for-version", "", "the previous version for which you want to show hidden metrics")
	f.StringToString("allow-metric-labels", nil, "the map from metric-label to value allow-list of this label")
	f.String("allow-metric-labels-manifest", "", "the path to the manifest file that contains the allow-list mapping")
	f.Bool("enable-logs-handler", false, "if true, install a /logs handler for the apiserver logs")
	f.Uint("kubelet-port", 10250, "DEPRECATED: kubelet port")
	f.Uint("kubelet-read-only-port", 10255, "DEPRECATED: kubelet read-only port")
	f.Int64("max-connection-bytes-per-sec", 0, "if non-zero, throttle each user connection to this number of bytes/sec; currently only applies to long-running requests")
	f.String("peer-advertise-ip", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this IP will be used by peer kube-apiservers to proxy requests to this kube-apiserver")
	f.String("peer-advertise-port", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this port will be used by peer kube-apiservers to proxy requests to this kube-apiserver")
	f.String("peer-ca-file", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this file will be used to verify serving certificates of peer kube-apiservers")
	f.Bool("aggregator-reject-forwarding-redirect", true, "aggregator reject forwarding redirect response back to client")
	f.String("min-compatibility-version", "", "the min version of control plane components the server should be compatible with")
	f.Bool("emulation-forward-compatible", false, "if true, APIs introduced after the emulation version are installed")
	f.Bool("runtime-config-emulation-forward-compatible", false, "if true, APIs identified by group/version enabled in --runtime-config are installed even when introduced after the emulation version")
	f.VisitAll(func(fl *pflag.Flag) {
		if _, marked := fl.Annotations[ignoredAnnotation]; !marked && !known[fl.Name] {
			_ = f.SetAnnotation(fl.Name, ignoredAnnotation, nil)
			fl.Usage += " (accepted; kapi does not act on it)"
		}
	})
	for _, name := range []string{"kubelet-port", "kubelet-read-only-port"} {
		_ = f.MarkDeprecated(name, "kubelet-port is deprecated and will be removed.")
	}
}

// ignoredAnnotation marks the flags of addIgnoredFlags.
const ignoredAnnotation = "kapi.dev/ignored"

// logIgnoredFlags warns of the accepted flags given that kapi does not act on.
func logIgnoredFlags(f *pflag.FlagSet) {
	var given []string
	f.Visit(func(fl *pflag.Flag) {
		if _, ok := fl.Annotations[ignoredAnnotation]; ok {
			given = append(given, "--"+fl.Name+"="+fl.Value.String())
		}
	})
	if len(given) > 0 {
		sort.Strings(given)
		slog.Warn("kapi accepts these kube-apiserver flags and does not act on them", "flags", strings.Join(given, " "))
	}
}

// versionFlag is --version as kube-apiserver reads it: given alone it is "true".
type versionFlag string

func (v *versionFlag) String() string {
	if *v == "" {
		return "false"
	}
	return string(*v)
}
func (v *versionFlag) Type() string     { return "version" }
func (v *versionFlag) IsBoolFlag() bool { return true }

func (v *versionFlag) Set(s string) error {
	switch s {
	case "true", "false", "raw":
		*v = versionFlag(s)
		return nil
	}
	if strings.HasPrefix(s, "v") {
		return fmt.Errorf("kapi reports its own version; --version=%s cannot set another", s)
	}
	return fmt.Errorf("invalid version flag value %q: use --version or --version=raw", s)
}

// print writes the version as kube-apiserver does, reporting whether it did (and
// the process should end).
func (v versionFlag) print(w io.Writer) bool {
	switch v {
	case "true":
		fmt.Fprintf(w, "Kubernetes %s\n", server.Version.GitVersion)
	case "raw":
		fmt.Fprintf(w, "%#v\n", server.Version)
	default:
		return false
	}
	return true
}
