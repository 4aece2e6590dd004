package main

import (
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// addClusterFlags registers kube-apiserver flags that hand-built and kubeadm
// clusters pass, so that their command lines start kapi as they are.
func addClusterFlags(f *pflag.FlagSet, cfg *server.Config, featureGates *map[string]bool) {
	f.BoolVar(&cfg.AllowPrivileged, "allow-privileged", false, "if true, allow privileged containers")
	f.Var(&configurationMap{m: &cfg.RuntimeConfig}, "runtime-config", "a set of key=value pairs that enable or disable built-in APIs (api/all, api/ga, api/beta, api/alpha, group/version); kapi serves kube-apiserver's default API versions, refuses to turn one off and ignores requests for others")
	f.Var(newFeatureGates(featureGates), "feature-gates", "a set of key=value pairs of kube-apiserver feature gates; kapi acts on APIResponseCompression (default true) and otherwise implements the features of v1.37's defaults, logging the gates it ignores")
	cfg.DefaultNotReadyTolerationSeconds = f.Int64("default-not-ready-toleration-seconds", 300, "indicates the tolerationSeconds of the toleration for notReady:NoExecute that is added by default to every pod that does not already have such a toleration")
	cfg.DefaultUnreachableTolerationSeconds = f.Int64("default-unreachable-toleration-seconds", 300, "indicates the tolerationSeconds of the toleration for unreachable:NoExecute that is added by default to every pod that does not already have such a toleration")
	f.String("external-hostname", "", "the hostname to use when generating externalized URLs for this server; accepted and unused, as kapi generates none")
	f.Int("apiserver-count", 1, "the number of apiservers running in the cluster, must be a positive number")
	_ = f.MarkDeprecated("apiserver-count", "apiserver-count is deprecated and will be removed in a future version.")
	addFixedFlags(f)
}

// featureGates is a --feature-gates value: Name=bool pairs, comma separated.
type featureGates struct{ m *map[string]bool }

func newFeatureGates(m *map[string]bool) *featureGates { return &featureGates{m: m} }

func (g *featureGates) Type() string { return "mapStringBool" }

func (g *featureGates) String() string {
	if g.m == nil {
		return ""
	}
	return sortedPairs(*g.m)
}

func (g *featureGates) Set(v string) error {
	parsed, err := parseFeatureGates(v)
	if err != nil {
		return err
	}
	if *g.m == nil {
		*g.m = map[string]bool{}
	}
	for k, on := range parsed {
		(*g.m)[k] = on
	}
	return nil
}

// implementedGates are the feature gates kapi acts on.
var implementedGates = map[string]bool{"APIResponseCompression": true}

// gateOn is gate's setting, def when not given.
func gateOn(gates map[string]bool, gate string, def bool) bool {
	if on, ok := gates[gate]; ok {
		return on
	}
	return def
}

// logFeatureGates reports the gates kapi was given and does not act on.
func logFeatureGates(given map[string]bool) {
	gates := map[string]bool{}
	for k, v := range given {
		if !implementedGates[k] {
			gates[k] = v
		}
	}
	if len(gates) > 0 {
		slog.Warn("--feature-gates: kapi implements kube-apiserver v1.37's default features and ignores these gates", "gates", newFeatureGates(&gates).String())
	}
}

// parseFeatureGates reads "A=true,B=false" as kube-apiserver does, with its
// messages for a pair without a value or with one that is not a bool.
func parseFeatureGates(v string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, pair := range strings.Split(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, val, ok := strings.Cut(pair, "=")
		k = strings.TrimSpace(k)
		if !ok {
			return nil, fmt.Errorf("missing bool value for %s", k)
		}
		on, err := strconv.ParseBool(strings.TrimSpace(val))
		if err != nil {
			return nil, fmt.Errorf("invalid value of %s=%s, err: %v", k, val, err)
		}
		out[k] = on
	}
	return out, nil
}

// fixed is a kube-apiserver flag whose one value kapi supports is its default:
// kapi takes that value, so that command lines which spell it out start kapi,
// and refuses any other.
type fixed struct {
	name, value string
	bool        bool     // a boolean flag: given without a value, it is "true"
	also        []string // other spellings of value
}

func (f *fixed) String() string   { return f.value }
func (f *fixed) IsBoolFlag() bool { return f.bool }
func (f *fixed) Type() string {
	if f.bool {
		return "bool"
	}
	return "string"
}

func (f *fixed) Set(v string) error {
	if v == f.value || (f.bool && strings.EqualFold(v, f.value)) || slices.Contains(f.also, v) {
		return nil
	}
	if f.value == "" {
		return fmt.Errorf("kapi does not support --%s", f.name)
	}
	return fmt.Errorf("kapi supports only --%s=%s", f.name, f.value)
}

// addFixedFlags registers the kube-apiserver flags kapi takes at one value only
// (their default, or kapi's own), and those it refuses whatever their value
// (an empty fixed value: given at all, they are refused).
func addFixedFlags(f *pflag.FlagSet) {
	for _, fl := range []struct {
		fixed
		usage string
	}{
		{fixed{name: "storage-backend", value: "etcd3"}, "the storage backend for persistence; kapi has etcd3 only"},
		{fixed{name: "storage-media-type", value: "application/vnd.kubernetes.protobuf"}, "the media type objects are stored in; kapi stores protobuf, as kube-apiserver by default"},
		{fixed{name: "watch-cache", value: "true", bool: true}, "enable the watch cache; kapi always has one"},
		{fixed{name: "endpoint-reconciler-type", value: "lease"}, "the endpoint reconciler of the kubernetes Service; kapi has the lease reconciler only"},
		{fixed{name: "enable-garbage-collector", value: "true", bool: true}, "enables the generic garbage collector (must match kube-controller-manager's flag); kapi always honours ownerReferences' propagation"},
		{fixed{name: "kubernetes-service-node-port", value: "0"}, "a node port for the kubernetes Service; kapi's is a ClusterIP Service"},
		{fixed{name: "emulated-version", value: "1.37", also: []string{"", "kube=1.37"}}, "the Kubernetes version to emulate; kapi is v1.37 only"},
		{fixed{name: "etcd-servers-overrides"}, "per-resource etcd servers overrides; kapi keeps every resource in --etcd-servers"},
		{fixed{name: "egress-selector-config-file"}, "file with apiserver egress selector configuration; kapi dials directly and has no egress selector"},
		{fixed{name: "service-account-signing-endpoint"}, "path of an external token signer's socket; kapi signs with --service-account-signing-key-file"},
		{fixed{name: "tls-curve-preferences"}, "the key exchange curves of TLS; kapi offers Go's defaults"},
	} {
		v := fl.fixed
		f.Var(&v, v.name, fl.usage)
		if v.bool {
			f.Lookup(v.name).NoOptDefVal = "true"
		}
	}
}

// configurationMap is a --runtime-config value as kube-apiserver reads it:
// comma-separated key=value pairs, where a key alone has the empty value (which
// means true), and repeated flags add up.
type configurationMap struct{ m *map[string]string }

func (c *configurationMap) Type() string { return "mapStringString" }

func (c *configurationMap) String() string {
	if c.m == nil {
		return ""
	}
	return sortedPairs(*c.m)
}

func (c *configurationMap) Set(v string) error {
	if *c.m == nil {
		*c.m = map[string]string{}
	}
	for _, pair := range strings.Split(v, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		(*c.m)[strings.TrimSpace(k)] = strings.TrimSpace(val)
	}
	return nil
}

// sortedPairs is m as "k=v" pairs, comma separated, in key order.
func sortedPairs[V any](m map[string]V) string {
	pairs := make([]string, 0, len(m))
	for k, v := range m {
		pairs = append(pairs, fmt.Sprintf("%s=%v", k, v))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}
