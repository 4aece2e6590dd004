package server

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/controlplane"
	"github.com/kapi-dev/kapi/internal/controlplane/clusterroleaggregation"
	"github.com/kapi-dev/kapi/internal/controlplane/garbagecollector"
	"github.com/kapi-dev/kapi/internal/controlplane/namespace"
	"github.com/kapi-dev/kapi/internal/controlplane/rootcacert"
	"github.com/kapi-dev/kapi/internal/controlplane/serviceaccount"
)

// The identities of the built-in controllers are upstream's: the shared informers
// read as system:kube-controller-manager, and each controller writes as its own
// kube-system service account (kube-controller-manager's
// --use-service-account-credentials), so the bootstrap RBAC policy's
// system:controller:* bindings authorize them.
const (
	controllerManagerUser = "system:kube-controller-manager"
	controllerNamespace   = "kube-system"
	// controllerCertValidity bounds the in-memory client certificates; they are
	// minted again at every start.
	controllerCertValidity = 365 * 24 * time.Hour
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

// loopbackCA signs the controllers' client certificates. It exists only in the
// self-contained mode, where kapi owns the CA that --client-ca-file would name.
type loopbackCA struct {
	cert   *x509.Certificate
	key    crypto.Signer
	caPEM  []byte
	server string
}

// startControlPlane starts the selected controllers in the background. They stop
// with ctx, Run's own context, so they quit when shutdown begins rather than retry
// against a server that is draining. It never blocks readiness: a controller that
// cannot start is logged.
func (s *Server) startControlPlane(ctx context.Context, addr net.Addr) {
	values := s.cfg.Controllers
	if values == nil {
		values = []string{"*"} // unset: kube-controller-manager's default
	}
	sel, err := controlplane.ParseSelection(values)
	if err != nil || !sel.Any() {
		return // the flag was checked in Complete; nothing selected
	}
	ca, err := s.loopbackCA(addr)
	if err != nil {
		slog.Warn("built-in controllers are off: no loopback identity", "err", err)
		return
	}
	clientFor := func(id controllerIdentity) (kubernetes.Interface, error) {
		cfg, err := ca.restConfig(id)
		if err != nil {
			return nil, err
		}
		return kubernetes.NewForConfig(cfg)
	}
	shared, err := clientFor(controllerIdentity{user: controllerManagerUser})
	if err != nil {
		slog.Warn("built-in controllers are off", "err", err)
		return
	}
	factory := informers.NewSharedInformerFactory(shared, 0)
	var runs []func(context.Context)
	if sel.Enabled(controlplane.ServiceAccount) {
		client, err := clientFor(serviceAccountIdentity("service-account-controller"))
		if err == nil {
			var c *serviceaccount.Controller
			if c, err = serviceaccount.New(client, factory.Core().V1().Namespaces(), factory.Core().V1().ServiceAccounts()); err == nil {
				runs = append(runs, func(ctx context.Context) { c.Run(ctx, 2) })
			}
		}
		if err != nil {
			slog.Warn("serviceaccount controller not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.RootCACertPublisher) {
		client, err := clientFor(serviceAccountIdentity("root-ca-cert-publisher"))
		if err == nil {
			var p *rootcacert.Publisher
			if p, err = rootcacert.New(client, ca.caPEM, factory.Core().V1().Namespaces(), factory.Core().V1().ConfigMaps()); err == nil {
				runs = append(runs, func(ctx context.Context) { p.Run(ctx, 2) })
			}
		}
		if err != nil {
			slog.Warn("root-ca-certificate publisher not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.Namespace) {
		err := func() error {
			cfg, err := ca.restConfig(serviceAccountIdentity("namespace-controller"))
			if err != nil {
				return err
			}
			client, err := kubernetes.NewForConfig(cfg)
			if err != nil {
				return err
			}
			meta, err := metadata.NewForConfig(cfg)
			if err != nil {
				return err
			}
			c, err := namespace.New(client, meta, client.Discovery(), factory.Core().V1().Namespaces())
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
		client, err := clientFor(serviceAccountIdentity("clusterrole-aggregation-controller"))
		if err == nil {
			var c *clusterroleaggregation.Controller
			if c, err = clusterroleaggregation.New(client, factory.Rbac().V1().ClusterRoles()); err == nil {
				runs = append(runs, func(ctx context.Context) { c.Run(ctx, 1) })
			}
		}
		if err != nil {
			slog.Warn("clusterrole aggregation controller not started", "err", err)
		}
	}
	if sel.Enabled(controlplane.GarbageCollector) {
		if err := s.startGarbageCollector(ctx, ca, &runs); err != nil {
			slog.Warn("garbage collector not started", "err", err)
		}
	}
	factory.Start(ctx.Done())
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
	dir := filepath.Join(s.cfg.DataDir, "pki")
	certPEM, err := os.ReadFile(filepath.Join(dir, "ca.crt"))
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("ca.crt holds no certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, err
	}
	key, err := readSignerPEM(filepath.Join(dir, "ca.key"))
	if err != nil {
		return nil, err
	}
	host := s.cfg.BindAddress
	if host.IsUnspecified() {
		host = net.IPv4(127, 0, 0, 1)
		if s.cfg.BindAddress.To4() == nil {
			host = net.IPv6loopback
		}
	}
	port := s.cfg.SecurePort
	if tcp, ok := addr.(*net.TCPAddr); ok {
		port = tcp.Port
	}
	return &loopbackCA{cert: cert, key: key, caPEM: certPEM,
		server: "https://" + net.JoinHostPort(host.String(), strconv.Itoa(port))}, nil
}

// readSignerPEM reads the first private key PEM block of a file (the formats
// internal/pki writes and accepts).
func readSignerPEM(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			return nil, fmt.Errorf("%s: no private key", path)
		}
		var key any
		switch block.Type {
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return nil, fmt.Errorf("%s: unsupported key %T", path, key)
		}
		return signer, nil
	}
}

// restConfig mints an in-memory client certificate for id (CN user, O groups) and
// returns a client configuration that presents it; the key never touches disk.
func (ca *loopbackCA) restConfig(id controllerIdentity) (*rest.Config, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, err
	}
	now := time.Now()
	notAfter := now.Add(controllerCertValidity)
	if notAfter.After(ca.cert.NotAfter) {
		notAfter = ca.cert.NotAfter
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: id.user, Organization: id.groups},
		NotBefore:    now.Add(-5 * time.Minute),
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		return nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, err
	}
	return &rest.Config{
		Host: ca.server,
		// kube-controller-manager's user agent, so managed fields name the same manager.
		UserAgent: "kube-controller-manager/" + Version.GitVersion + " (linux/amd64) kubernetes/kapi/" + id.user,
		QPS:       200,
		Burst:     400,
		TLSClientConfig: rest.TLSClientConfig{
			CAData:   ca.caPEM,
			CertData: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
			KeyData:  pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}),
		},
	}, nil
}

// startGarbageCollector builds the collector: metadata informers that read as
// system:kube-controller-manager, writes as the generic-garbage-collector account.
func (s *Server) startGarbageCollector(ctx context.Context, ca *loopbackCA, runs *[]func(context.Context)) error {
	readCfg, err := ca.restConfig(controllerIdentity{user: controllerManagerUser})
	if err != nil {
		return err
	}
	reader, err := metadata.NewForConfig(readCfg)
	if err != nil {
		return err
	}
	cfg, err := ca.restConfig(serviceAccountIdentity("generic-garbage-collector"))
	if err != nil {
		return err
	}
	writer, err := metadata.NewForConfig(cfg)
	if err != nil {
		return err
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	gc := garbagecollector.New(writer, disc, metadatainformer.NewSharedInformerFactory(reader, 0))
	*runs = append(*runs, func(ctx context.Context) { gc.Run(ctx, 5) })
	return nil
}
