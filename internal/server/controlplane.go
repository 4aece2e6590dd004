package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"

	"k8s.io/client-go/discovery"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	rbacv1client "k8s.io/client-go/kubernetes/typed/rbac/v1"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/util/flowcontrol"

	"github.com/kapi-dev/kapi/internal/admission"
	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/controlplane/clusterroleaggregation"
	"github.com/kapi-dev/kapi/internal/controlplane/garbagecollector"
	"github.com/kapi-dev/kapi/internal/controlplane/namespace"
	"github.com/kapi-dev/kapi/internal/controlplane/resourcequota"
	"github.com/kapi-dev/kapi/internal/controlplane/rootcacert"
	"github.com/kapi-dev/kapi/internal/controlplane/serviceaccount"
	"github.com/kapi-dev/kapi/internal/pki"
)

// The identities of the built-in controllers are upstream's: the shared informers
// read as system:kube-controller-manager, and each controller writes as its own
// kube-system service account (kube-controller-manager's
// --use-service-account-credentials), so the bootstrap RBAC policy's
// system:controller:* bindings authorize them.
const (
	controllerManagerUser = "system:kube-controller-manager"
	controllerNamespace   = "kube-system"
)

// controllerIdentity says who a controller is on the wire.
type controllerIdentity struct {
	user   string
	groups []string
}

func serviceAccountIdentity(name string) controllerIdentity {
	return controllerIdentity{
		user:   "system:serviceaccount:" + controllerNamespace + ":" + name,
		groups: []string{"system:serviceaccounts", "system:serviceaccounts:" + controllerNamespace},
	}
}

// controllerRuns reports whether kapi runs the named built-in controller: chosen by
// --controllers, and in the self-contained mode, the only one where they run (in a
// cluster with its own CA, kube-controller-manager does their work, and two writers
// of the same status would undo each other).
func (s *Server) controllerRuns(name string) bool {
	sel, err := s.controllerSelection()
	return err == nil && sel.Enabled(name) && s.cfg.TLSCertFile == "" && s.cfg.ClientCAFile == ""
}

// controllerSelection is --controllers parsed; unset is kube-controller-manager's
// default, "*".
func (s *Server) controllerSelection() (controlplane.Selection, error) {
	values := s.cfg.Controllers
	if values == nil {
		values = []string{"*"}
	}
	return controlplane.ParseSelection(values)
}

// loopbackCA signs the controllers' client certificates. It exists only in the
// self-contained mode, where kapi owns the CA that --client-ca-file would name.
type loopbackCA struct {
	ca     *pki.CA
	server string
}

// startControlPlane starts the selected controllers in the background. They stop
// with ctx, Run's own context, so they quit when shutdown begins rather than retry
// against a server that is draining. It never blocks readiness: a controller that
// cannot start is logged.
func (s *Server) startControlPlane(ctx context.Context, addr net.Addr) {
	sel, err := s.controllerSelection()
	if err != nil || !sel.Any() {
		return // the flag was checked in Complete; nothing selected
	}
	ca, err := s.loopbackCA(addr)
	if err != nil {
		slog.Warn("built-in controllers are off: no loopback identity", "err", err)
		return
	}
	shared, err := ca.clientsFor(controllerIdentity{user: controllerManagerUser})
	if err != nil {
		slog.Warn("built-in controllers are off", "err", err)
		return
	}
	factory := controlplane.NewInformers(shared.core, shared.rbac)
	var runs []func(context.Context)
	if sel.Enabled(controlplane.ServiceAccount) {
		client, err := ca.clientsFor(serviceAccountIdentity("service-account-controller"))
		if err == nil {
			var c *serviceaccount.Controller
			if c, err = serviceaccount.New(client.core, factory.Namespaces(), factory.ServiceAccounts()); err == nil {
				runs = append(runs, func(ctx context.Context) { c.Run(ctx, 2) })
			}
		}
		if err != nil {
			slog.Warn("serviceaccount controller not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.RootCACertPublisher) {
		client, err := ca.clientsFor(serviceAccountIdentity("root-ca-cert-publisher"))
		if err == nil {
			var p *rootcacert.Publisher
			if p, err = rootcacert.New(client.core, ca.ca.CertPEM(), factory.Namespaces(), factory.ConfigMapsNamed(rootcacert.ConfigMapName)); err == nil {
				runs = append(runs, func(ctx context.Context) { p.Run(ctx, 2) })
			}
		}
		if err != nil {
			slog.Warn("root-ca-certificate publisher not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.Namespace) {
		err := func() error {
			client, err := ca.clientsFor(serviceAccountIdentity("namespace-controller"))
			if err != nil {
				return err
			}
			c, err := namespace.New(client.core, client.metadata, client.discovery, factory.Namespaces())
			if err != nil {
				return err
			}
			runs = append(runs, func(ctx context.Context) { c.Run(ctx, 5) })
			return nil
		}()
		if err != nil {
			slog.Warn("namespace controller not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.ClusterRoleAggregation) {
		client, err := ca.clientsFor(serviceAccountIdentity("clusterrole-aggregation-controller"))
		if err == nil {
			var c *clusterroleaggregation.Controller
			if c, err = clusterroleaggregation.New(client.rbac, factory.ClusterRoles()); err == nil {
				runs = append(runs, func(ctx context.Context) { c.Run(ctx, 1) })
			}
		}
		if err != nil {
			slog.Warn("clusterrole aggregation controller not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.GarbageCollector) {
		if err := startGarbageCollector(ca, shared, &runs); err != nil {
			slog.Warn("garbage collector not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.ResourceQuota) {
		if err := startResourceQuota(ca, factory, &runs); err != nil {
			slog.Warn("resourcequota controller not started", "err", err)
		} else {
			admission.HandOverQuotaRecount(s.admission)
		}
	}
	factory.Start(ctx)
	for _, run := range runs {
		go run(ctx)
	}
	go func() {
		<-ctx.Done()
		factory.Shutdown()
	}()
}

// loopbackCA loads the self-contained mode's CA. With --tls-cert-file or
// --client-ca-file the CA key is not kapi's, so no identity can be minted.
func (s *Server) loopbackCA(addr net.Addr) (*loopbackCA, error) {
	if s.cfg.TLSCertFile != "" || s.cfg.ClientCAFile != "" {
		return nil, errors.New("the cluster CA is external (--tls-cert-file or --client-ca-file); run kube-controller-manager instead")
	}
	ca, err := pki.LoadCA(s.cfg.CertDir)
	if err != nil {
		return nil, err
	}
	host := s.cfg.localAddress()
	port := s.cfg.SecurePort
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = tcp.Port
	}
	return &loopbackCA{ca: ca,
		server: "https://" + net.JoinHostPort(host.String(), strconv.Itoa(port))}, nil
}

// restConfig mints an in-memory client certificate for id (CN user, O groups) and
// returns a client configuration that presents it; the key never touches disk.
func (ca *loopbackCA) restConfig(id controllerIdentity) (*rest.Config, error) {
	certPEM, keyPEM, err := ca.ca.ClientCertPEM(id.user, id.groups)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host: ca.server,
		// kube-controller-manager's user agent, so managed fields name the same manager.
		UserAgent: "kube-controller-manager/" + Version.GitVersion + " (linux/amd64) kubernetes/kapi/" + id.user,
		QPS:       200,
		Burst:     400,
		// One token bucket for all of the identity's clients, as a clientset's groups share one.
		RateLimiter: flowcontrol.NewTokenBucketRateLimiter(200, 400),
		// The server's own warnings (deprecated v1 Endpoints, written for the
		// kubernetes Service) are for outside clients, not its log.
		WarningHandler: rest.NoWarnings{},
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   ca.ca.CertPEM(),
			CertData: certPEM,
			KeyData:  keyPEM,
		},
	}, nil
}

// startGarbageCollector builds the collector: metadata informers that read through
// reader (system:kube-controller-manager), writes as the generic-garbage-collector
// account.
func startGarbageCollector(ca *loopbackCA, reader *controllerClients, runs *[]func(context.Context)) error {
	writer, err := ca.clientsFor(serviceAccountIdentity("generic-garbage-collector"))
	if err != nil {
		return err
	}
	gc := garbagecollector.New(writer.metadata, writer.discovery, reader.metadata)
	*runs = append(*runs, func(ctx context.Context) { gc.Run(ctx, 5) })
	return nil
}

// startResourceQuota builds the quota status updater: it reads through the shared
// informers and its own metadata watches, and writes status as the
// resourcequota-controller account.
func startResourceQuota(ca *loopbackCA, factory *controlplane.Informers, runs *[]func(context.Context)) error {
	client, err := ca.clientsFor(serviceAccountIdentity("resourcequota-controller"))
	if err != nil {
		return err
	}
	c, err := resourcequota.New(resourcequota.Config{Client: client.core, Metadata: client.metadata, Discovery: client.discovery, Informers: factory})
	if err != nil {
		return err
	}
	*runs = append(*runs, func(ctx context.Context) { c.Run(ctx, 5) })
	return nil
}

// controllerClients are the clients of one controller identity. They share one
// connection and one rate limit, as the groups of a clientset do; only the groups
// the controllers use are built (see controlplane.Informers for why not a clientset).
type controllerClients struct {
	core      *corev1client.CoreV1Client
	rbac      *rbacv1client.RbacV1Client
	metadata  metadata.Interface
	discovery *discovery.DiscoveryClient
}

// clientsFor returns the clients that act as id.
func (ca *loopbackCA) clientsFor(id controllerIdentity) (*controllerClients, error) {
	cfg, err := ca.restConfig(id)
	if err != nil {
		return nil, err
	}
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return nil, err
	}
	c := &controllerClients{}
	if c.core, err = corev1client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if c.rbac, err = rbacv1client.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if c.metadata, err = metadata.NewForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	if c.discovery, err = discovery.NewDiscoveryClientForConfigAndClient(cfg, hc); err != nil {
		return nil, err
	}
	return c, nil
}
