package server

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	networkingv1 "k8s.io/api/networking/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/apimachinery/pkg/runtime/serializer/protobuf"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/apimachinery/pkg/version"
	apiregistrationv1 "k8s.io/kube-aggregator/pkg/apis/apiregistration/v1"
	"k8s.io/kube-openapi/pkg/validation/spec"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/apiextensions"
	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/authz/node"
	"github.com/kapi-dev/kapi/internal/authz/rbac"
	"github.com/kapi-dev/kapi/internal/controllers/bootstrap"
	"github.com/kapi-dev/kapi/internal/controllers/ipalloc"
	"github.com/kapi-dev/kapi/internal/controllers/portalloc"
	"github.com/kapi-dev/kapi/internal/controllers/rbacpolicy"
	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/flowcontrol"
	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/openapi"
	"github.com/kapi-dev/kapi/internal/pki"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
	"github.com/kapi-dev/kapi/internal/storage/cacher"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/writebatch"
)

// startTypeConverter builds the type converter of the built-in kinds from their
// OpenAPI definitions (which depend on the scheme alone) in the background, and
// returns what waits for it.
func startTypeConverter() func() (managedfields.TypeConverter, error) {
	var (
		tc   managedfields.TypeConverter
		err  error
		done = make(chan struct{})
	)
	go func() {
		defer close(done)
		var defs map[string]*spec.Schema
		if defs, err = openapi.New(nil, apis.NewScheme()).Definitions(); err == nil {
			tc, err = managedfields.NewTypeConverter(defs, false)
		}
	}()
	return func() (managedfields.TypeConverter, error) {
		<-done
		return tc, err
	}
}

// processStart is about when the process started, for /statusz.
var processStart = time.Now()

// Version is what /version reports: the Kubernetes version kapi implements.
var Version = version.Info{
	Major: "1", Minor: "37", GitVersion: "v1.37.2", GitCommit: "kapi", GitTreeState: "clean",
	BuildDate: "2026-11-01T00:00:00Z", GoVersion: "go1.26", Compiler: "gc", Platform: "linux/amd64",
}

// Server is a configured kapi, ready to Run.
type Server struct {
	// typeConverter waits for the structured-merge-diff type converter of the
	// built-in kinds (managed fields, apply, ApplyConfiguration mutations).
	typeConverter func() (managedfields.TypeConverter, error)
	cfg           Config
	// leases are the etcd leases of values that expire (Events).
	leases *etcd3.Leases
	// admission is the admission chain; its plugins' background work runs in Run.
	admission admission.Chain
	// apiServices are the Local APIServices of the served group versions.
	apiServices []*apiregistrationv1.APIService
	// rbacIndex mirrors the RBAC objects for the RBAC authorizer (nil without RBAC).
	rbacIndex *rbac.Index
	// authzReloader, when set, reloads --authorization-config until its context ends.
	authzReloader func(ctx context.Context)
	// nodeAuthorizer is the Node authorizer (nil without the Node mode).
	nodeAuthorizer *node.Authorizer
	etcd           *embeddedEtcd
	client         *clientv3.Client
	handler        http.Handler
	tls            *tls.Config
	api            *endpoints.API
	// customResources serves the resources the CRDs define.
	customResources *apiextensions.Manager
	// flowControl is API Priority and Fairness (nil when it is off).
	flowControl *flowcontrol.Controller
	// aggregation proxies the group versions of extension API servers.
	aggregation *aggregation
	stores      map[schema.GroupVersionResource]*registry.Store
	// nodePorts allocates Service node ports (repaired at start).
	nodePorts *portalloc.Allocator
	caches    []*cacher.Cacher
	// metrics are served at /metrics; created on first use (see metrics.go).
	metrics *metrics.Metrics

	// audit holds the audit filter configuration and backends (nil without auditing).
	audit *auditRuntime

	// serviceAccounts issues and verifies service-account tokens.
	serviceAccounts *serviceAccounts

	// clientCAPEM is the client CA bundle, published for extension API servers.
	clientCAPEM []byte
	// certs reloads the serving certificates and client CA behind tls.
	certs *servingCerts
	// shuttingDown is true once the server was told to stop: /readyz fails.
	shuttingDown atomic.Bool
	// hooks are the start-up stages the health endpoints report by upstream's
	// post-start hook names.
	hooks *startHooks
	// ready is true once the start finished: bootstrap done, the authorizers' caches
	// synced (/readyz's informer-sync).
	ready atomic.Bool
	// notAccepting is closed once the shutdown delay is over; with
	// --shutdown-send-retry-after new requests are then refused with a 429.
	notAccepting chan struct{}
	// inFlight counts the requests a --shutdown-send-retry-after shutdown drains
	// before it closes the listener.
	inFlight filters.InFlight
	// handling counts every request being served, for the end of the shutdown.
	handling filters.InFlight
	// Kubeconfig is the admin kubeconfig written in self-contained mode.
	Kubeconfig string
}

// New starts etcd (or connects to it), prepares certificates and builds the handler.
// The caller must Run the server, which also releases what New started.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if err := cfg.Complete(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, notAccepting: make(chan struct{})}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, err
	}
	// The server's own first writes (bootstrap, before /readyz) record managed
	// fields: the type converter they need is built while etcd starts.
	s.typeConverter = startTypeConverter()
	// The certificates need no etcd: they are made or loaded while etcd starts.
	certsDone := make(chan error, 1)
	go func() {
		err := s.setupTLS()
		if err == nil {
			err = s.setupFrontProxy()
		}
		certsDone <- err
	}()
	var err error
	if len(cfg.EtcdServers) == 0 {
		if s.etcd, err = startEmbeddedEtcd(cfg.DataDir); err == nil {
			s.client, err = s.etcd.client()
		}
	} else {
		s.client, err = newEtcdClient(ctx, cfg.EtcdServers, cfg.EtcdCAFile, cfg.EtcdCertFile, cfg.EtcdKeyFile)
	}
	if certsErr := <-certsDone; err == nil {
		err = certsErr
	}
	if err != nil {
		s.closeEtcd()
		return nil, err
	}
	s.leases = etcd3.NewLeases(s.client.Lease, cfg.LeaseReuseDuration)
	if err := s.buildHandler(); err != nil {
		s.closeEtcd()
		return nil, err
	}
	return s, nil
}

func (s *Server) closeEtcd() {
	for _, c := range s.caches {
		c.Stop()
	}
	if s.client != nil {
		_ = s.client.Close()
	}
	if s.etcd != nil {
		slog.Info("stopping the embedded etcd")
		s.etcd.Close()
	}
}

// setupTLS loads or generates the serving certificate and the client CA.
func (s *Server) setupTLS() error {
	cfg := s.cfg
	var clientCAs *x509.CertPool
	var serving tls.Certificate
	if cfg.TLSCertFile == "" {
		hostname, _ := os.Hostname()
		hosts := []string{"localhost", "127.0.0.1", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
			"kubernetes.default.svc.cluster.local", cfg.AdvertiseAddress.String(), firstServiceIP(cfg.ServiceClusterIPRange).String()}
		if hostname != "" {
			hosts = append(hosts, hostname)
		}
		if !cfg.BindAddress.IsUnspecified() {
			hosts = append(hosts, cfg.BindAddress.String())
		}
		b, err := pki.Ensure(pki.Config{Dir: cfg.CertDir, Hosts: hosts,
			AdminUser: "kubernetes-admin", AdminGroups: []string{"system:masters"}})
		if err != nil {
			return err
		}
		serving = b.Serving
		clientCAs = b.CAPool
		if s.clientCAPEM, err = os.ReadFile(b.CACertFile); err != nil {
			return err
		}
		s.Kubeconfig = filepath.Join(cfg.DataDir, "admin.kubeconfig")
		// The admin's address: the bind address, or the advertised one when
		// serving on every address (the advertised one may be elsewhere otherwise).
		host := cfg.AdvertiseAddress
		if !cfg.BindAddress.IsUnspecified() {
			host = cfg.BindAddress
		}
		server := "https://" + net.JoinHostPort(host.String(), strconv.Itoa(cfg.SecurePort))
		if err := pki.WriteKubeconfig(s.Kubeconfig, server, b); err != nil {
			return err
		}
	} else {
		var err error
		if serving, err = tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSPrivateKeyFile); err != nil {
			return fmt.Errorf("loading --tls-cert-file: %w", err)
		}
	}
	if cfg.ClientCAFile != "" {
		pem, err := os.ReadFile(cfg.ClientCAFile)
		if err != nil {
			return fmt.Errorf("reading --client-ca-file: %w", err)
		}
		s.clientCAPEM = pem
		clientCAs = x509.NewCertPool()
		if !clientCAs.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--client-ca-file %s holds no PEM certificates", cfg.ClientCAFile)
		}
	}
	return s.setupServingTLS(serving, clientCAs)
}

// buildHandler creates the stores and the filter chain.
func (s *Server) buildHandler() error {
	cfg := s.cfg
	scheme := apis.NewScheme()
	codec := protobuf.NewSerializer(scheme, scheme)
	jsonCodec := runtime.Codec(kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, scheme, scheme, kjson.SerializerOptions{}))
	s.stores = map[schema.GroupVersionResource]*registry.Store{}
	var stores []*registry.Store
	// Resources served in several versions share one etcd store and one watch cache.
	shared := map[string]*cacher.Cacher{}
	enc, err := s.newEncryption()
	if err != nil {
		return err
	}
	ipGVK := networkingv1.SchemeGroupVersion.WithKind("IPAddress")
	ipPrefix := cfg.EtcdPrefix + "/ipaddresses/"
	ipStore := etcd3.New(s.client, codec, ipGVK, newFuncFor(scheme, ipGVK), newFuncFor(scheme, ipGVK.GroupVersion().WithKind("IPAddressList")), ipPrefix,
		enc.storeOption(schema.GroupResource{Group: networkingv1.GroupName, Resource: "ipaddresses"}))
	serviceAccounts, err := s.newServiceAccounts()
	if err != nil {
		return err
	}
	s.serviceAccounts = serviceAccounts
	authenticator, err := s.newAuthenticator()
	if err != nil {
		return err
	}
	authorizer, err := s.newAuthorizer()
	if err != nil {
		return err
	}
	kubelet, err := cfg.newKubelet()
	if err != nil {
		return err
	}
	serviceIPs := ipalloc.New(ipStore, ipPrefix, cfg.ServiceClusterIPRange)
	resources := builtin.Resources(builtin.Deps{
		Kubelet:          kubelet,
		Authorizer:       authorizer,
		RBAC:             s.rbacRules(),
		TokenReviewer:    tokenReviewer(authenticator),
		ServiceIPs:       serviceIPs,
		ServiceNodePorts: s.newNodePortAllocator(scheme, codec, enc),
		Stores:           func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] },
		EtcdHealth: func(ctx context.Context) error {
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := s.client.Get(ctx, "health", clientv3.WithCountOnly())
			return err
		},

		APIAudiences:         serviceAccounts.audiences,
		ServiceAccountTokens: serviceAccounts.tokens,
		AllowPrivileged:      cfg.AllowPrivileged,
	})
	if err := checkRuntimeConfig(cfg.RuntimeConfig, resources); err != nil {
		return err
	}
	for _, res := range resources {
		newFunc := newFuncFor(scheme, res.StorageKind)
		newList := newFuncFor(scheme, res.StorageKind.GroupVersion().WithKind(res.StorageKind.Kind+"List"))
		if res.KeyPrefix == "" {
			// A virtual resource (bindings, componentstatuses): nothing is stored.
			store := registry.NewStore(res, nil, cfg.EtcdPrefix, newFunc, newList)
			stores = append(stores, store)
			s.stores[res.GroupVersionResource()] = store
			continue
		}
		prefix := cfg.EtcdPrefix + "/" + res.KeyPrefix + "/"
		st, ok := shared[prefix]
		if !ok {
			var err error
			valueCodec := runtime.Codec(codec)
			if res.StoreAsJSON {
				valueCodec = jsonCodec
			}
			if !res.EncodeAs.Empty() {
				valueCodec = etcd3.NewVersionCodec(valueCodec, scheme, res.EncodeAs)
			}
			if res.OnDecode != nil {
				valueCodec = etcd3.NewDecodeHookCodec(valueCodec, res.OnDecode)
			}
			st, err = s.newCache(res, enc, valueCodec, prefix, newFunc, newList)
			if err != nil {
				return err
			}
			shared[prefix] = st
			s.observeCache(res, st)
			s.caches = append(s.caches, st)
		}
		store := registry.NewStore(res, st, cfg.EtcdPrefix, newFunc, newList)
		store.SetDeleteCollectionWorkers(cfg.DeleteCollectionWorkers)
		stores = append(stores, store)
		s.stores[res.GroupVersionResource()] = store
	}

	// As upstream, info.version is the emulated version: major.minor.
	oapi := openapi.New(resources, scheme, openapi.WithVersion(Version.Major+"."+Version.Minor))
	// Built once, on the first apply or ApplyConfiguration mutation, and shared by
	// the endpoints and the MutatingAdmissionPolicy plugin.
	types := s.typeConverter
	admissionChain, err := s.newAdmissionChain(authorizer, scheme, resources, types)
	if err != nil {
		return err
	}
	s.admission = admissionChain
	if !s.controllerRuns(controlplane.ResourceQuota) {
		// Another resource-quota controller (kube-controller-manager's) keeps
		// status.used; admission recounting beside it would be a second writer.
		admission.HandOverQuotaRecount(admissionChain)
	}
	s.api = endpoints.New(scheme, stores, admissionChain, types)
	if st := s.stores[networkingv1.SchemeGroupVersion.WithResource("ipaddresses")]; st != nil {
		serviceIPs.RecordManagedFields(st)
	}
	if st := s.stores[networkingv1.SchemeGroupVersion.WithResource("servicecidrs")]; st != nil {
		serviceIPs.UseServiceCIDRs(serviceCIDRRanges(st))
	}
	s.api.SetMinRequestTimeout(cfg.watchMinTimeout())
	s.api.SetMaxConnectionBytesPerSec(cfg.MaxConnectionBytesPerSec)
	s.api.SetResponseCompression(cfg.APIResponseCompression)
	mux := http.NewServeMux()
	// The paths GET / lists besides the discovery and health ones (listedPaths).
	listed := append(s.installServiceAccountIssuerDiscovery(mux),
		"/api", "/api/v1", "/apis", "/apis/", "/metrics", "/metrics/slis", "/openapi/v2", "/openapi/v3", "/openapi/v3/", "/version")
	slis := metrics.NewHealthSLIs(processStart)
	mux.Handle("/metrics/slis", slis.Handler())
	// Upstream's checks: ping, log and etcd everywhere, then the start-up hooks
	// (starthooks.go); the KMS providers' check on /healthz and /readyz only;
	// /readyz adds the etcd readiness check and informer-sync before the hooks and
	// the shutdown check last.
	base := []healthCheck{{"ping", ping}, {"log", cfg.logCheck}, {"etcd", etcdCheck(s.client, cfg.EtcdHealthcheckTimeout)}}
	s.hooks = newStartHooks(!cfg.PriorityAndFairnessDisabled)
	hookChecks := s.hooks.checks(processStart, 0)
	healthzChecks := slices.Concat(base, enc.checks, hookChecks)
	livezChecks := slices.Concat(base, s.hooks.checks(processStart, cfg.LivezGracePeriod))
	// etcd-readiness has its own timeout (--etcd-readycheck-timeout).
	readyChecks := slices.Concat(base, []healthCheck{{"etcd-readiness", etcdCheck(s.client, cfg.EtcdReadycheckTimeout)}}, enc.checks)
	readyChecks = append(readyChecks, healthCheck{"informer-sync", flagCheck(&s.ready, errors.New("informers not synced"))})
	readyChecks = append(readyChecks, hookChecks...)
	readyChecks = append(readyChecks, healthCheck{"shutdown", func(*http.Request) error {
		if s.shuttingDown.Load() {
			return fmt.Errorf("process is shutting down")
		}
		return nil
	}})
	mux.Handle("/healthz", healthHandler("healthz", healthzChecks, slis))
	mux.Handle("/healthz/", healthHandler("healthz", healthzChecks, slis))
	mux.Handle("/livez", healthHandler("livez", livezChecks, slis))
	mux.Handle("/livez/", healthHandler("livez", livezChecks, slis))
	mux.Handle("/readyz", healthHandler("readyz", readyChecks, slis))
	mux.Handle("/readyz/", healthHandler("readyz", readyChecks, slis))
	mux.Handle("/version", versionHandler())
	mux.Handle("/version/", versionHandler())
	disc := s.installDiscovery(mux, resources)
	s.customResources = s.newCustomResources(jsonCodec, enc, func(custom []*registry.Resource, crds []*apiextensionsv1.CustomResourceDefinition) {
		disc.Set(append(slices.Clone(resources), custom...))
		oapi.SetCustomResourceDefinitions(crds)
	})
	s.installObservability(mux)
	s.apiServices = localAPIServices(resources)
	s.aggregation = s.newAggregation(disc)
	mux.Handle("/openapi/v2", s.aggregation.OpenAPIV2(oapi.HandlerV2()))
	mux.Handle("/openapi/v3", s.aggregation.OpenAPIV3(oapi.HandlerV3()))
	mux.Handle("/openapi/v3/", s.aggregation.OpenAPIV3(oapi.HandlerV3()))
	index := listedPaths{fixed: append(listed, "/flagz", "/statusz"), groups: disc.GroupList,
		health: map[string][]healthCheck{"healthz": healthzChecks, "livez": livezChecks, "readyz": readyChecks}}
	mux.Handle("/statusz", statuszHandler(processStart, statuszPaths(index.all())))
	mux.Handle("/flagz", flagzHandler(cfg.flagz))
	mux.Handle("/{$}", index)
	mux.Handle("/index.html", index)

	if err := s.setupAudit(); err != nil {
		return err
	}
	// The filter chain in execution order: the first entry sees the request first.
	chain := []func(http.Handler) http.Handler{
		func(h http.Handler) http.Handler { return filters.WithRequestCount(h, &s.handling) },
		func(h http.Handler) http.Handler { return filters.WithPanicRecovery(h, s.api.WriteError) },
		func(h http.Handler) http.Handler { return filters.WithHSTS(h, cfg.HSTSDirectives) },
		filters.WithRequestInfo,
		// Before audit: upstream's refused requests leave no audit events.
		s.withRetryAfter,
		func(h http.Handler) http.Handler { return filters.WithProbabilisticGoaway(h, cfg.GoawayChance) },
		filters.WithAuditID,
		s.withAudit,
		func(h http.Handler) http.Handler { return filters.WithAccessLog(h, cfg.logger()) },
		filters.WithCacheControl,
		// Where upstream times requests out: before authentication, so that slow
		// authentication (webhooks) counts against the request's deadline too.
		func(h http.Handler) http.Handler {
			return filters.WithRequestDeadline(h, cfg.RequestTimeout, s.api.WriteError)
		},
		func(h http.Handler) http.Handler { return filters.WithTimeout(h, s.terminations()) },
		// Before authentication: a browser's preflight carries no credentials.
		func(h http.Handler) http.Handler { return filters.WithCORS(h, cfg.corsOrigins) },
		func(h http.Handler) http.Handler {
			return filters.WithAuthentication(h, authenticator, cfg.AnonymousAuth, s.api.WriteError)
		},
		filters.WithAuditAuthenticated,
		func(h http.Handler) http.Handler { return filters.WithImpersonation(h, authorizer, s.api.WriteError) },
		filters.WithAuditImpersonated,
		s.withFlowControl,
		func(h http.Handler) http.Handler { return filters.WithAuthorization(h, authorizer, s.api.WriteError) },
		func(h http.Handler) http.Handler {
			return filters.WithRequestMetrics(h, s.observability(), s.servedResource)
		},
	}
	h := s.aggregatedHandler(mux)
	for i := len(chain) - 1; i >= 0; i-- {
		h = chain[i](h)
	}
	s.handler = h
	return nil
}

// withRetryAfter refuses new requests once the shutdown delay is over when
// --shutdown-send-retry-after is set, and counts the in-flight ones it drains.
func (s *Server) withRetryAfter(h http.Handler) http.Handler {
	if !s.cfg.ShutdownSendRetryAfter {
		return h
	}
	return filters.WithRetryAfter(filters.WithInFlight(h, &s.inFlight), s.notAccepting)
}

// newCache returns the watch cache of res over etcd values under prefix, encrypted
// as the encryption configuration says.
func (s *Server) newCache(res *registry.Resource, enc *encryption, codec runtime.Codec, prefix string, newFunc, newList func() runtime.Object) (*cacher.Cacher, error) {
	gr := storageGroupResource(res)
	opts := []etcd3.Option{enc.storeOption(gr)}
	if gr == (schema.GroupResource{Resource: "events"}) {
		// Events expire, as kube-apiserver's do: core/v1 and events.k8s.io/v1 share
		// this storage.
		opts = append(opts, etcd3.WithTTL(s.cfg.EventTTL, s.leases))
	}
	return cacher.New(cacher.Config{
		Storage:          s.instrumentStorage(res, etcd3.New(s.client, codec, res.StorageKind, newFunc, newList, prefix, opts...)),
		Client:           enc.cacheClientFor(s.client, gr),
		ResourcePrefix:   prefix,
		GroupVersionKind: res.StorageKind,
		NewFunc:          newFunc,
		NewListFunc:      newList,
		OnList:           s.listObserver(res),
	})
}

func newFuncFor(scheme *runtime.Scheme, gvk schema.GroupVersionKind) func() runtime.Object {
	return func() runtime.Object {
		obj, err := scheme.New(gvk)
		if err != nil {
			panic(fmt.Sprintf("kind %s not registered: %v", gvk, err)) // a programming error at start
		}
		return obj
	}
}

// Handler returns the full handler chain (for tests that serve it themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx is cancelled, then shuts down: readyz fails, the listener
// closes, in-flight requests finish (watches are ended), and etcd stops.
func (s *Server) Run(ctx context.Context) error {
	defer s.closeEtcd()
	defer s.stopAudit() // after the server stopped serving, before etcd closes
	addr := net.JoinHostPort(s.cfg.BindAddress.String(), strconv.Itoa(s.cfg.SecurePort))
	ln, err := listen(ctx, addr, s.cfg.PermitPortSharing)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		TLSConfig:         s.tls,
		ReadHeaderTimeout: 32 * time.Second,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(slog.Default().Handler(), slog.LevelDebug),
		HTTP2:             s.http2Config(),
		IdleTimeout:       90 * time.Second,
	}
	srv.RegisterOnShutdown(func() { s.api.StopWatches(s.cfg.ShutdownWatchTerminationGracePeriod) })
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(tls.NewListener(writebatch.Listener(ln), s.tls)) }()
	if path := s.cfg.DebugSocketPath; path != "" {
		// As upstream, a debug socket that cannot be served is logged, not fatal.
		if err := serveDebugSocket(ctx, path, &s.cfg.ObservabilityOptions); err != nil {
			slog.Error("not serving the debug socket", "path", path, "err", err)
		}
	}

	bgCtx, stopBackground := context.WithCancel(context.Background())
	defer stopBackground()
	go compactLoop(bgCtx, s.client, s.cfg.EtcdCompactionInterval)
	go s.awaitStorageReadiness(bgCtx, s.cfg.storageInitializationTimeout())
	s.admission.Run(bgCtx)
	s.hooks.finish(hookAdmissionInitializer, hookGenericInformers)
	hostname, _ := os.Hostname()
	boot := bootstrap.New(bootstrap.Config{
		Stores:           func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] },
		AdvertiseAddress: s.cfg.AdvertiseAddress,
		SecurePort:       s.cfg.SecurePort,
		ServiceRange:     s.cfg.ServiceClusterIPRange,
		ClientCA:         s.clientCAPEM,
		Hostname:         hostname,
		LocalAPIServices: s.apiServices,
		// The front proxy's requestheader-* keys.
		AuthenticationData: s.extensionAuthenticationData(),
		// The master leases behind the kubernetes Service's endpoints.
		Etcd:       s.client,
		EtcdPrefix: s.cfg.EtcdPrefix,
		Ready:      s.ready.Load,
	})
	// The system objects and the RBAC policy are independent; written side by side,
	// etcd commits them in shared batches.
	rbacDone := make(chan error, 1)
	go func() {
		rbacDone <- rbacpolicy.Reconcile(ctx, func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] })
	}()
	if err := boot.Start(ctx); err != nil {
		<-rbacDone
		_ = srv.Close()
		return err
	}
	// boot.Start made the system namespaces, the kube-system ConfigMaps, the identity
	// lease, the priority classes, the kubernetes Service and its ServiceCIDR, and
	// the local APIServices; boot.Run renews the lease and collects expired ones.
	s.hooks.finish(hookSystemNamespaces, hookAuthenticationInfo, hookLegacyTokenTracking, hookIdentityLease,
		hookPriorityClasses, hookServiceCIDR, hookBootstrapController, hookAutoregistration)
	go boot.Run(bgCtx)
	s.hooks.finish(hookIdentityLeaseGC)
	if err := s.startNodePortRepair(ctx, bgCtx); err != nil {
		<-rbacDone
		_ = srv.Close()
		return err
	}
	s.hooks.finish(hookServiceIPRepair)
	if err := <-rbacDone; err != nil {
		_ = srv.Close()
		return fmt.Errorf("bootstrap RBAC policy: %w", err)
	}
	s.hooks.finish(hookRBACBootstrap)
	if err := s.startFlowControl(ctx, bgCtx); err != nil {
		_ = srv.Close()
		return err
	}
	s.hooks.finish(hookFlowControlProducer, hookFlowControlConsumer, hookFlowControlFilter, hookObjectCountTracker, hookMaxInFlightFilter)
	if err := s.customResources.Start(bgCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("serving custom resources: %w", err)
	}
	s.hooks.finish(hookCRDInformers, hookCRDControllers, hookCRDInformerSynced)
	defer s.aggregation.shutdown()
	if err := s.aggregation.Start(bgCtx); err != nil {
		_ = srv.Close()
		return fmt.Errorf("starting the aggregator: %w", err)
	}
	s.hooks.finish(hookProxyClientCert, hookAggregatorInformers, hookLocalAvailability, hookRemoteAvailability,
		hookAPIServiceRegistration, hookAPIServiceDiscovery, autoregisterCompletion, hookAPIServiceOpenAPI, hookAPIServiceOpenAPIV3)
	syncCtx, cancelSync := context.WithTimeout(ctx, time.Minute)
	err = s.startRBAC(bgCtx, syncCtx)
	cancelSync()
	if err != nil {
		_ = srv.Close()
		return fmt.Errorf("waiting for the RBAC policy: %w", err)
	}
	if s.nodeAuthorizer != nil {
		s.nodeAuthorizer.Run(bgCtx)
	}
	if s.authzReloader != nil {
		go s.authzReloader(bgCtx)
	}
	s.ready.Store(true)
	s.startControlPlane(ctx, ln.Addr())
	s.announce(ln.Addr().String())

	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	s.shuttingDown.Store(true)
	// Each step of the shutdown is logged, so that a slow one shows where it waits.
	slog.Info("graceful shutdown started")
	// Leave the kubernetes Service's endpoints now rather than when the lease expires;
	// bounded as upstream, by two reconcile intervals.
	removeCtx, cancelRemove := context.WithTimeout(context.Background(), 2*bootstrap.DefaultEndpointInterval)
	if err := boot.RemoveEndpoints(removeCtx); err != nil {
		slog.Warn("graceful shutdown: this instance's endpoints stay until its lease expires", "err", err)
	}
	cancelRemove()
	// --shutdown-delay-duration: keep serving with /readyz failing, so that load
	// balancers take this instance out before its listener closes.
	if d := s.cfg.ShutdownDelayDuration; d > 0 {
		select {
		case err := <-serveErr:
			return err
		case <-time.After(d):
		}
	}
	shutdownTimeout := s.cfg.ShutdownTimeout
	if s.cfg.ShutdownSendRetryAfter {
		// The listener stays open, refusing new requests with a 429, until the
		// in-flight ones finished; Shutdown then only has idle connections (and
		// watches, which it ends) to close, with 2s for HTTP/2's GOAWAY.
		close(s.notAccepting)
		select {
		case <-s.inFlight.Drained():
		case <-time.After(s.cfg.ShutdownTimeout):
		}
		shutdownTimeout = 2 * time.Second
	}
	// Paced watches end within about their grace period, which the requests'
	// timeout comes on top of.
	shutdownTimeout += s.cfg.ShutdownWatchTerminationGracePeriod
	slog.Info("graceful shutdown: listener closed, waiting for requests in flight", "timeout", shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := shutdownHTTP(shutdownCtx, srv, &s.handling, idleConnGrace); errors.Is(err, context.DeadlineExceeded) {
		slog.Warn("graceful shutdown: requests still in flight after the timeout were cut off")
		_ = srv.Close()
	}
	slog.Info("graceful shutdown: requests done, stopping background work and storage")
	return nil
}

// idleConnGrace is how long connections may stay open once no request is in
// flight during a shutdown: HTTP/2's GOAWAY grace (1 s) and a margin.
const idleConnGrace = 2 * time.Second

// shutdownHTTP runs srv.Shutdown until ctx ends. Shutdown also waits for every
// connection to close, and Go's HTTP/2 server tells only the connections it knows
// of when Shutdown starts to go away: one whose TLS handshake finishes a moment
// later is never told, and its idle client (a built-in controller's, which had
// just reconnected) keeps it open for the 90 s idle timeout. So once no request
// has been in flight (counted in handling) for grace, the connections left are
// closed.
func shutdownHTTP(ctx context.Context, srv *http.Server, handling *filters.InFlight, grace time.Duration) error {
	done := make(chan error, 1)
	go func() { done <- srv.Shutdown(ctx) }()
	for {
		select {
		case err := <-done:
			return err
		case <-handling.Drained():
		}
		select {
		case err := <-done:
			return err
		case <-time.After(grace):
		}
		select {
		case <-handling.Drained():
			slog.Info("graceful shutdown: closing connections that carry no request")
			_ = srv.Close()
			return <-done
		default: // a request came on a connection meanwhile; wait for it
		}
	}
}

func (s *Server) announce(addr string) {
	if s.Kubeconfig != "" {
		fmt.Fprintf(s.cfg.Out, "kapi is serving on https://%s — use it with: export KUBECONFIG=%s\n", addr, s.Kubeconfig)
		return
	}
	fmt.Fprintf(s.cfg.Out, "kapi is serving on https://%s\n", addr)
}
