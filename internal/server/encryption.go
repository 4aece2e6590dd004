package server

import (
	"errors"
	"log/slog"
	"net/http"

	clientv3 "go.etcd.io/etcd/client/v3"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/storage/etcd3"
	"github.com/kapi-dev/kapi/internal/storage/value/encryptionconfig"
	"github.com/kapi-dev/kapi/internal/storage/value/etcdview"
)

// kmsHealthCheckName is upstream's name for the health of the KMS providers (each
// one reported inside it as kms-provider-<index>).
const kmsHealthCheckName = "kms-providers"

// encryption is encryption at rest as configured: the transformers in force and
// the health checks they add to /healthz and /readyz (upstream leaves /livez alone).
type encryption struct {
	transformers *encryptionconfig.Transformers
	checks       []healthCheck
	// configured is false without --encryption-provider-config.
	configured bool
}

// newEncryption loads --encryption-provider-config. KMS providers and the reload
// loop run until the etcd client is closed, which is when the server stops.
func (s *Server) newEncryption() (*encryption, error) {
	opts := s.cfg.EncryptionOptions
	enc := &encryption{transformers: encryptionconfig.NewTransformers(nil)}
	if opts.EncryptionProviderConfig == "" {
		if opts.EncryptionProviderConfigAutomaticReload {
			return nil, errors.New("--encryption-provider-config-automatic-reload must be set with --encryption-provider-config")
		}
		return enc, nil
	}
	ctx := s.client.Ctx()
	reload := opts.EncryptionProviderConfigAutomaticReload
	built, err := encryptionconfig.LoadFile(ctx, opts.EncryptionProviderConfig, reload, encryptionconfig.Options{})
	if err != nil {
		return nil, err
	}
	enc.transformers = encryptionconfig.NewTransformers(built)
	enc.configured = true
	go func() {
		<-ctx.Done()
		enc.transformers.Current().Close()
	}()
	// As upstream: one kms-providers check when reloading (the providers may change)
	// or when KMS is configured.
	if reload || built.UsesKMS() {
		enc.checks = append(enc.checks, healthCheck{kmsHealthCheckName, func(r *http.Request) error {
			return enc.transformers.Check(r.Context())
		}})
	}
	if reload {
		r := encryptionconfig.NewReloader(opts.EncryptionProviderConfig, opts.EncryptionProviderConfigReloadInterval, enc.transformers, encryptionconfig.Options{})
		slog.Info("watching the encryption provider configuration for changes", "file", opts.EncryptionProviderConfig)
		go r.Run(ctx)
	}
	return enc, nil
}

// storeOption makes an etcd3 store encrypt as configured for gr.
func (e *encryption) storeOption(gr schema.GroupResource) etcd3.Option {
	return etcd3.WithTransformer(e.transformers.For(gr))
}

// cacheClientFor is the etcd client the watch cache of gr reads with: the watch
// cache decodes values itself, so with encryption configured it reads through a
// decrypting view.
func (e *encryption) cacheClientFor(c *clientv3.Client, gr schema.GroupResource) *clientv3.Client {
	if !e.configured {
		return c
	}
	return etcdview.New(c, e.transformers.For(gr))
}

// storageGroupResource names a resource as the encryption configuration does:
// resources stored as another group's kind (events.k8s.io events are core events)
// go by that group.
func storageGroupResource(res *registry.Resource) schema.GroupResource {
	return schema.GroupResource{Group: res.StorageKind.Group, Resource: res.Name}
}
