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
// acts on, and those it accepts and does not act on (addIgnoredFlags, logged at
// start when given); the ones it takes at one value only are addFixedFlags'.
func addUpstreamFlags(f *pflag.FlagSet, cfg *server.Config, u *upstreamFlags) {
	f.Var(&u.version, "version", "--version, --version=raw prints version information and quits")
	f.Lookup("version").NoOptDefVal = "true"
	f.BoolVar(&u.lookup, "service-account-lookup", true, "if true, validate ServiceAccount tokens exist in etcd as part of authentication")
	f.Int64Var(&u.leaseReuseSeconds, "lease-reuse-duration-seconds", 60, "the time in seconds that each lease is reused; a lower value could avoid large number of objects reusing the same lease")
	f.DurationVar(&cfg.EtcdHealthcheckTimeout, "etcd-healthcheck-timeout", 2*time.Second, "the timeout to use when checking etcd health")
	f.DurationVar(&cfg.EtcdReadycheckTimeout, "etcd-readycheck-timeout", 2*time.Second, "the timeout to use when checking etcd readiness")
	f.DurationVar(&cfg.StorageInitializationTimeout, "storage-initialization-timeout", time.Minute, "the longest /readyz waits for the watch caches to load before the server counts as ready")
	f.IntVar(&cfg.DeleteCollectionWorkers, "delete-collection-workers", 1, "number of workers spawned for DeleteCollection call; these are used to speed up namespace cleanup")
	f.BoolVar(&cfg.DisableHTTP2Serving, "disable-http2-serving", false, "if true, HTTP2 serving will be disabled")
	f.StringVar(&cfg.CertDir, "cert-dir", "", "the directory of the generated certificates and keys when --tls-cert-file is not given (default --data-dir/pki)")
	f.StringSliceVar(&cfg.DisabledMetrics, "disabled-metrics", nil, "metrics /metrics leaves out, by their full names (an escape hatch for misbehaving metrics)")
	f.DurationVar(&cfg.ShutdownWatchTerminationGracePeriod, "shutdown-watch-termination-grace-period", 0, "this option, if set, represents the maximum amount of grace period the apiserver will wait for active watch request(s) to drain during the graceful server shutdown window")
	f.Int64Var(&cfg.MaxConnectionBytesPerSec, "max-connection-bytes-per-sec", 0, "if non-zero, throttle each user connection to this number of bytes/sec; currently only applies to long-running requests")
	f.StringVar(&cfg.DebugSocketPath, "debug-socket-path", "", "use an unprotected (no authn/authz) unix-domain socket for profiling with the given path")
	f.Bool("permit-address-sharing", false, "if true, SO_REUSEADDR will be used when binding the port; Go sets it on every listener, so kapi always does")

	addIgnoredFlags(f)
}

// addIgnoredFlags registers the kube-apiserver flags kapi accepts without acting
// on them, with upstream's types and defaults so that values are checked as
// upstream checks them, each marked with ignoredAnnotation.
func addIgnoredFlags(f *pflag.FlagSet) {
	ig := pflag.NewFlagSet("ignored", pflag.ContinueOnError)
	ig.Int("default-watch-cache-size", 100, "default watch cache size; kapi's watch cache keeps what it needs")
	ig.StringSlice("watch-cache-sizes", nil, "watch cache size settings for some resources (resource[.group]#size); kapi's watch cache keeps what it needs")
	ig.Duration("etcd-count-metric-poll-period", time.Minute, "frequency of polling etcd for number of resources per type")
	ig.Duration("etcd-db-metric-poll-interval", 30*time.Second, "the interval of requests to poll etcd and update metric")
	ig.Duration("coordinated-leadership-lease-duration", 15*time.Second, "the duration of the lease used for coordinated leader election")
	ig.Duration("coordinated-leadership-renew-deadline", 10*time.Second, "the deadline for renewing a coordinated leader election lease")
	ig.Duration("coordinated-leadership-retry-period", 2*time.Second, "the period for retrying to renew a coordinated leader election lease")
	ig.String("tracing-config-file", "", "file with apiserver tracing configuration")
	ig.String("vmodule", "", "comma-separated list of pattern=N settings for file-filtered logging (only works for text log format)")
	ig.Duration("log-flush-frequency", 5*time.Second, "maximum number of seconds between log flushes; kapi writes every line at once")
	ig.String("log-json-info-buffer-size", "0", "[Alpha] in JSON format with split output streams, the info messages can be buffered for a while to increase performance")
	ig.Bool("log-json-split-stream", false, "[Alpha] in JSON format, write error messages to stderr and info messages to stdout")
	ig.String("log-text-info-buffer-size", "0", "[Alpha] in text format with split output streams, the info messages can be buffered for a while to increase performance")
	ig.Bool("log-text-split-stream", false, "[Alpha] in text format, write error messages to stderr and info messages to stdout")
	ig.String("show-hidden-metrics-for-version", "", "the previous version for which you want to show hidden metrics")
	ig.StringToString("allow-metric-labels", nil, "the map from metric-label to value allow-list of this label")
	ig.String("allow-metric-labels-manifest", "", "the path to the manifest file that contains the allow-list mapping")
	ig.Bool("enable-logs-handler", false, "if true, install a /logs handler for the apiserver logs")
	ig.Uint("kubelet-port", 10250, "DEPRECATED: kubelet port")
	ig.Uint("kubelet-read-only-port", 10255, "DEPRECATED: kubelet read-only port")
	ig.String("peer-advertise-ip", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this IP will be used by peer kube-apiservers to proxy requests to this kube-apiserver")
	ig.String("peer-advertise-port", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this port will be used by peer kube-apiservers to proxy requests to this kube-apiserver")
	ig.String("peer-ca-file", "", "if set and the UnknownVersionInteroperabilityProxy feature gate is enabled, this file will be used to verify serving certificates of peer kube-apiservers")
	ig.Bool("aggregator-reject-forwarding-redirect", true, "aggregator reject forwarding redirect response back to client")
	ig.String("min-compatibility-version", "", "the min version of control plane components the server should be compatible with")
	ig.Bool("emulation-forward-compatible", false, "if true, APIs introduced after the emulation version are installed")
	ig.Bool("runtime-config-emulation-forward-compatible", false, "if true, APIs identified by group/version enabled in --runtime-config are installed even when introduced after the emulation version")
	for _, name := range []string{"kubelet-port", "kubelet-read-only-port"} {
		_ = ig.MarkDeprecated(name, "kubelet-port is deprecated and will be removed.")
	}
	ig.VisitAll(func(fl *pflag.Flag) {
		_ = ig.SetAnnotation(fl.Name, ignoredAnnotation, nil)
		fl.Usage += " (accepted; kapi does not act on it)"
	})
	f.AddFlagSet(ig)
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

// flagValues returns every flag of fs, name to value as given or defaulted, for
// /flagz.
func flagValues(fs *pflag.FlagSet) func() map[string]string {
	return func() map[string]string {
		values := map[string]string{}
		fs.VisitAll(func(f *pflag.Flag) { values[f.Name] = f.Value.String() })
		return values
	}
}
