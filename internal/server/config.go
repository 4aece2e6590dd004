package server

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"time"

	utilnet "k8s.io/apimachinery/pkg/util/net"
)

// Config is kapi's configuration, one field per kube-apiserver flag it supports.
type Config struct {
	// DataDir holds the embedded etcd, generated certificates and admin.kubeconfig.
	DataDir string

	BindAddress      net.IP
	SecurePort       int
	AdvertiseAddress net.IP

	// EtcdServers, when set, replaces the embedded etcd.
	EtcdServers  []string
	EtcdCAFile   string
	EtcdCertFile string
	EtcdKeyFile  string
	EtcdPrefix   string
	// EtcdCompactionInterval is how often old revisions are compacted; 0 disables.
	EtcdCompactionInterval time.Duration
	// EventTTL is how long Events are kept after their last write; 0 keeps them.
	EventTTL time.Duration
	// LeaseReuseDuration is the longest one etcd lease is shared by expiring writes
	// (--lease-reuse-duration-seconds); 0 means upstream's 60 s.
	LeaseReuseDuration time.Duration
	// EtcdHealthcheckTimeout bounds the etcd check of /healthz, /livez and /readyz,
	// and EtcdReadycheckTimeout /readyz's etcd-readiness; 0 means upstream's 2 s.
	EtcdHealthcheckTimeout, EtcdReadycheckTimeout time.Duration
	// DeleteCollectionWorkers is how many objects a DELETE of a collection removes
	// at once (--delete-collection-workers); 0 means 1.
	DeleteCollectionWorkers int
	// StorageInitializationTimeout (--storage-initialization-timeout) is the most
	// /readyz waits for the watch caches' first lists (storage-readiness); 0 means
	// upstream's minute.
	StorageInitializationTimeout time.Duration
	// CertDir holds the generated certificates and keys when --tls-cert-file is not
	// given (--cert-dir); empty means DataDir/pki.
	CertDir string
	// AllowPrivileged lets pods run privileged containers (--allow-privileged).
	AllowPrivileged bool
	// APIResponseCompression gzips GET and LIST responses over 128 KiB for clients
	// that accept gzip (the feature gate of that name, on by default upstream).
	APIResponseCompression bool
	// RuntimeConfig is --runtime-config (checkRuntimeConfig).
	RuntimeConfig map[string]string
	// DefaultNotReadyTolerationSeconds and DefaultUnreachableTolerationSeconds
	// configure the DefaultTolerationSeconds admission plugin; nil is 300.
	DefaultNotReadyTolerationSeconds, DefaultUnreachableTolerationSeconds *int64

	TLSCertFile       string
	TLSPrivateKeyFile string
	ClientCAFile      string
	TokenAuthFile     string
	AnonymousAuth     bool
	// AuthorizationModes, e.g. ["AlwaysAllow"]; empty means the interim default that
	// allows authenticated users and the public paths.
	AuthorizationModes []string
	AuthorizationOptions
	AuthenticationOptions
	ServiceAccountOptions
	TLSOptions
	EncryptionOptions
	KubeletOptions
	AuditOptions
	AdmissionOptions
	ServicesOptions
	ObservabilityOptions
	ControlPlaneOptions
	FlowControlOptions
	AggregationOptions
	ServingOptions

	ServiceClusterIPRange *net.IPNet

	// ShutdownTimeout bounds how long in-flight requests may take after SIGTERM.
	ShutdownTimeout time.Duration

	// Out receives the start-up message (how to reach the server).
	Out *os.File
}

// Complete fills defaults and checks the configuration.
func (c *Config) Complete() error {
	if c.DataDir == "" {
		c.DataDir = "kapi-data"
	}
	abs, err := filepath.Abs(c.DataDir)
	if err != nil {
		return err
	}
	c.DataDir = abs
	if c.CertDir == "" {
		c.CertDir = filepath.Join(c.DataDir, "pki")
	}
	if c.BindAddress == nil {
		c.BindAddress = net.IPv4(127, 0, 0, 1)
	}
	if c.SecurePort == 0 {
		c.SecurePort = 6443
	}
	if c.SecurePort < 0 || c.SecurePort > 65535 {
		return fmt.Errorf("--secure-port %d must be between 0 and 65535", c.SecurePort)
	}
	if c.EtcdPrefix == "" {
		c.EtcdPrefix = "/registry"
	}
	if c.ServiceClusterIPRange == nil {
		_, c.ServiceClusterIPRange, _ = net.ParseCIDR("10.0.0.0/24")
	}
	if c.AdvertiseAddress == nil {
		// As upstream: bound to all addresses or to a loopback one, kapi advertises
		// the address of the host's default route (the kubernetes Service's
		// endpoint); loopback only when the host has none.
		if ip, err := utilnet.ResolveBindAddress(c.BindAddress); err == nil {
			c.AdvertiseAddress = ip
		} else {
			c.AdvertiseAddress = c.localAddress()
		}
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 60 * time.Second
	}
	if (c.TLSCertFile == "") != (c.TLSPrivateKeyFile == "") {
		return fmt.Errorf("--tls-cert-file and --tls-private-key-file must be set together")
	}
	if err := c.completeControlPlane(); err != nil {
		return err
	}
	if err := c.completeServing(); err != nil {
		return err
	}
	if err := c.completeFlowControl(); err != nil {
		return err
	}
	if c.Out == nil {
		c.Out = os.Stderr
	}
	return nil
}

// firstServiceIP returns the first usable address of the service range: the
// ClusterIP of the kubernetes Service.
func firstServiceIP(n *net.IPNet) net.IP {
	ip := make(net.IP, len(n.IP))
	copy(ip, n.IP)
	for i := len(ip) - 1; i >= 0; i-- {
		ip[i]++
		if ip[i] != 0 {
			break
		}
	}
	return ip
}

// storageInitializationTimeout is StorageInitializationTimeout or its default.
func (c *Config) storageInitializationTimeout() time.Duration {
	if c.StorageInitializationTimeout <= 0 {
		return time.Minute
	}
	return c.StorageInitializationTimeout
}

// localAddress is an address this server listens on from the same host: the bind
// address, or the loopback address of its family when bound to all addresses.
func (c *Config) localAddress() net.IP {
	if !c.BindAddress.IsUnspecified() {
		return c.BindAddress
	}
	if c.BindAddress.To4() == nil {
		return net.IPv6loopback
	}
	return net.IPv4(127, 0, 0, 1)
}
