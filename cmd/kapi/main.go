// Command kapi is a Kubernetes API server. With no flags it runs on an embedded etcd
// in ./kapi-data; kube-apiserver's flag names configure everything else.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/server"
)

func main() {
	if err := newCommand().Execute(); err != nil {
		os.Exit(1)
	}
}

func newCommand() *cobra.Command {
	var (
		cfg          server.Config
		bind, advert string
		serviceRange string
		authzModes   string
		etcdServers  []string
		sniCertKeys  []string
		oidcClaims   []string
		featureGates map[string]bool
		upstream     upstreamFlags
	)
	cmd := &cobra.Command{
		Use:           "kapi",
		Short:         "A Kubernetes API server (kube-apiserver v1.37 compatible) with an embedded etcd",
		SilenceUsage:  true,
		SilenceErrors: false,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if upstream.version.print(cmd.OutOrStdout()) {
				return nil
			}
			cfg.ServiceAccountSkipLookup = !upstream.lookup
			cfg.LeaseReuseDuration = time.Duration(upstream.leaseReuseSeconds) * time.Second
			var err error
			if cfg.BindAddress, err = parseIP("--bind-address", bind); err != nil {
				return err
			}
			if advert != "" {
				if cfg.AdvertiseAddress, err = parseIP("--advertise-address", advert); err != nil {
					return err
				}
			}
			if serviceRange != "" {
				first := strings.Split(serviceRange, ",")[0]
				if _, cfg.ServiceClusterIPRange, err = net.ParseCIDR(first); err != nil {
					return fmt.Errorf("invalid --service-cluster-ip-range %q: %v", serviceRange, err)
				}
			}
			if authzModes != "" {
				cfg.AuthorizationModes = strings.Split(authzModes, ",")
			}
			for _, s := range etcdServers {
				if s = strings.TrimSpace(s); s != "" {
					cfg.EtcdServers = append(cfg.EtcdServers, s)
				}
			}
			for _, v := range sniCertKeys {
				k, err := server.ParseSNICertKey(v)
				if err != nil {
					return fmt.Errorf("invalid argument %q for \"--tls-sni-cert-key\" flag: %v", v, err)
				}
				cfg.SNICertKeys = append(cfg.SNICertKeys, k)
			}
			for _, kv := range oidcClaims {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("invalid argument %q for \"--oidc-required-claim\" flag: malformed pair, expect string=string", kv)
				}
				if cfg.OIDCRequiredClaims == nil {
					cfg.OIDCRequiredClaims = map[string]string{}
				}
				cfg.OIDCRequiredClaims[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
			if err := cfg.ConfigureLogging(os.Stderr); err != nil {
				return err
			}
			cfg.APIResponseCompression = gateOn(featureGates, "APIResponseCompression", true)
			logFeatureGates(featureGates)
			logIgnoredFlags(cmd.Flags())
			cfg.Flagz = flagValues(cmd.Flags())
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			// The first signal starts a graceful shutdown (which --shutdown-delay-duration
			// may prolong); a second one ends the process at once, as upstream's.
			context.AfterFunc(ctx, stop)
			s, err := server.New(ctx, cfg)
			if err != nil {
				return err
			}
			go server.ManageMemory(ctx)
			return s.Run(ctx)
		},
	}
	f := cmd.Flags()
	f.StringVar(&cfg.DataDir, "data-dir", "kapi-data", "folder for the embedded etcd, generated certificates and admin.kubeconfig")
	f.StringVar(&bind, "bind-address", "127.0.0.1", "the IP address on which to listen for the --secure-port port")
	f.IntVar(&cfg.SecurePort, "secure-port", 6443, "the port on which to serve HTTPS")
	f.StringVar(&advert, "advertise-address", "", "the IP address on which to advertise the apiserver to members of the cluster")
	f.StringSliceVar(&etcdServers, "etcd-servers", nil, "list of etcd servers to connect with (scheme://ip:port), comma separated; empty runs an embedded etcd")
	f.StringVar(&cfg.EtcdCAFile, "etcd-cafile", "", "SSL Certificate Authority file used to secure etcd communication")
	f.StringVar(&cfg.EtcdCertFile, "etcd-certfile", "", "SSL certification file used to secure etcd communication")
	f.StringVar(&cfg.EtcdKeyFile, "etcd-keyfile", "", "SSL key file used to secure etcd communication")
	f.StringVar(&cfg.EtcdPrefix, "etcd-prefix", "/registry", "the prefix to prepend to all resource paths in etcd")
	f.DurationVar(&cfg.EtcdCompactionInterval, "etcd-compaction-interval", 5*time.Minute, "the interval of compaction requests; 0 disables compaction")
	f.DurationVar(&cfg.EventTTL, "event-ttl", time.Hour, "amount of time to retain events")
	f.StringVar(&cfg.TLSCertFile, "tls-cert-file", "", "file containing the default x509 certificate for HTTPS; empty generates one in --data-dir")
	f.StringVar(&cfg.TLSPrivateKeyFile, "tls-private-key-file", "", "file containing the default x509 private key matching --tls-cert-file")
	f.StringArrayVar(&sniCertKeys, "tls-sni-cert-key", nil, "a certificate and key file pair, optionally suffixed with the domain patterns it serves (\"foo.crt,foo.key:*.foo.com,foo.com\"); without patterns the certificate's names are used; repeat for several pairs")
	f.StringVar(&cfg.MinTLSVersion, "tls-min-version", "", "minimum TLS version supported: VersionTLS12 (default) or VersionTLS13")
	f.StringSliceVar(&cfg.CipherSuites, "tls-cipher-suites", nil, "comma-separated list of cipher suites for the server (Go's names); empty uses Go's defaults")
	f.IntVar(&cfg.HTTP2MaxStreamsPerConnection, "http2-max-streams-per-connection", 0, "the limit the server gives clients on concurrent streams of an HTTP/2 connection; 0 means 100")
	f.StringVar(&cfg.ClientCAFile, "client-ca-file", "", "authenticate client certificates signed by one of these authorities")
	f.StringVar(&cfg.TokenAuthFile, "token-auth-file", "", "secure the API with bearer tokens from this CSV file (token,user,uid,\"group1,group2\")")
	f.BoolVar(&cfg.AnonymousAuth, "anonymous-auth", true, "allow anonymous requests (user system:anonymous, group system:unauthenticated)")
	f.StringVar(&authzModes, "authorization-mode", "", "ordered list of authorization plugins: AlwaysAllow, AlwaysDeny, RBAC, Node, Webhook (empty means Node,RBAC)")
	f.StringVar(&cfg.AuthorizationConfigFile, "authorization-config", "", "file with the structured authorization configuration (AuthorizationConfiguration); exclusive with --authorization-mode and --authorization-webhook-*")
	f.StringVar(&cfg.WebhookConfigFile, "authorization-webhook-config-file", "", "kubeconfig-format file naming the authorization webhook, for --authorization-mode=Webhook")
	f.StringVar(&cfg.WebhookVersion, "authorization-webhook-version", "v1beta1", "the version of the SubjectAccessReview sent to the webhook: v1 or v1beta1")
	f.DurationVar(&cfg.WebhookAuthorizedTTL, "authorization-webhook-cache-authorized-ttl", 5*time.Minute, "how long to cache 'authorized' answers from the webhook")
	f.DurationVar(&cfg.WebhookUnauthorizedTTL, "authorization-webhook-cache-unauthorized-ttl", 30*time.Second, "how long to cache 'unauthorized' answers from the webhook")
	f.StringVar(&serviceRange, "service-cluster-ip-range", "10.0.0.0/24", "CIDR range from which to assign service cluster IPs")
	cfg.ServiceNodePortRange = portalloc.DefaultRange
	f.Var(&cfg.ServiceNodePortRange, "service-node-port-range", "a port range to reserve for services with NodePort visibility; inclusive at both ends")
	f.StringVar(&cfg.ServiceAccountSigningKeyFile, "service-account-signing-key-file", "", "private key (PEM, RSA or ECDSA) that signs service account tokens; empty generates one in --cert-dir (default --data-dir/pki) as sa.key")
	f.StringArrayVar(&cfg.ServiceAccountKeyFiles, "service-account-key-file", nil, "file of PEM-encoded RSA or ECDSA private or public keys that verify service account tokens, besides the signing key; repeatable")
	f.StringArrayVar(&cfg.ServiceAccountIssuers, "service-account-issuer", nil, "identifier of the service account token issuer; the first is issued, all are accepted; repeatable (default https://kubernetes.default.svc.cluster.local without a signing key)")
	f.StringVar(&cfg.ServiceAccountJWKSURI, "service-account-jwks-uri", "", "overrides the jwks_uri of the discovery document served at /.well-known/openid-configuration")
	f.DurationVar(&cfg.ServiceAccountMaxTokenExpiration, "service-account-max-token-expiration", 0, "the maximum validity duration of a token created by the service account token issuer")
	cfg.ServiceAccountExtendTokenExpiration = f.Bool("service-account-extend-token-expiration", true, "extend kubelet-projected service account tokens to a year, warning after the requested expiration")
	f.StringSliceVar(&cfg.APIAudiences, "api-audiences", nil, "identifiers of the API; service account tokens must be meant for one of them (default: the service account issuers)")
	f.StringVar(&cfg.EncryptionProviderConfig, "encryption-provider-config", "", "the file containing configuration for encryption providers to be used for storing secrets in etcd")
	f.BoolVar(&cfg.EncryptionProviderConfigAutomaticReload, "encryption-provider-config-automatic-reload", false, "determines if the file set by --encryption-provider-config should be automatically reloaded if the disk contents change; setting this to true disables the ability to uniquely identify distinct KMS plugins via the API server healthz endpoints")
	f.StringSliceVar(&cfg.EnableAdmissionPlugins, "enable-admission-plugins", nil, "admission plugins that should be enabled in addition to default enabled ones; order does not matter")
	f.StringSliceVar(&cfg.DisableAdmissionPlugins, "disable-admission-plugins", nil, "admission plugins that should be disabled although they are in the default enabled plugins list")
	f.StringVar(&cfg.AdmissionControlConfigFile, "admission-control-config-file", "", "file with admission control configuration (AdmissionConfiguration)")
	addAuthenticationFlags(f, &cfg.AuthenticationOptions, &oidcClaims)
	addAuditFlags(f, &cfg.AuditOptions)
	addFlowControlFlags(f, &cfg.FlowControlOptions)
	addServingFlags(f, &cfg.ServingOptions)
	addAggregationFlags(f, &cfg.AggregationOptions)
	addClusterFlags(f, &cfg, &featureGates)
	addUpstreamFlags(f, &cfg, &upstream)
	f.StringVar(&cfg.KubeletClientCertificate, "kubelet-client-certificate", "", "Path to a client cert file for TLS.")
	f.StringVar(&cfg.KubeletClientKey, "kubelet-client-key", "", "Path to a client key file for TLS.")
	f.StringVar(&cfg.KubeletCertificateAuthority, "kubelet-certificate-authority", "", "Path to a cert file for the certificate authority.")
	f.StringSliceVar(&cfg.KubeletPreferredAddressTypes, "kubelet-preferred-address-types", []string{"Hostname", "InternalDNS", "InternalIP", "ExternalDNS", "ExternalIP"}, "List of the preferred NodeAddressTypes to use for kubelet connections.")
	f.DurationVar(&cfg.KubeletTimeout, "kubelet-timeout", 5*time.Second, "Timeout for kubelet operations.")
	f.IntVarP(&cfg.Verbosity, "v", "v", 0, "number for the log level verbosity (3 logs every request)")
	f.StringVar(&cfg.LoggingFormat, "logging-format", "text", "Sets the log format. Permitted formats: \"json\", \"text\".")
	cfg.Profiling = f.Bool("profiling", true, "enable profiling via web interface host:port/debug/pprof/")
	f.BoolVar(&cfg.ContentionProfiling, "contention-profiling", false, "enable block profiling, if profiling is enabled")
	f.StringSliceVar(&cfg.Controllers, "controllers", []string{"*"}, "built-in controllers to run, in kube-controller-manager's syntax: '*' enables all, 'foo' enables foo, '-foo' disables foo; an empty value (--controllers=) turns them all off, for when kube-controller-manager runs beside kapi. Known: serviceaccount-controller, root-ca-certificate-publisher-controller, namespace-controller, clusterrole-aggregation-controller, garbage-collector-controller")
	return cmd
}

func parseIP(flag, v string) (net.IP, error) {
	ip := net.ParseIP(v)
	if ip == nil {
		return nil, fmt.Errorf("invalid %s %q: not an IP address", flag, v)
	}
	return ip, nil
}
