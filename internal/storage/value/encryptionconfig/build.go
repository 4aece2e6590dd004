package encryptionconfig

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"

	"github.com/kapi-dev/kapi/internal/storage/value"
	"github.com/kapi-dev/kapi/internal/storage/value/aes"
	"github.com/kapi-dev/kapi/internal/storage/value/kmsv2"
	"github.com/kapi-dev/kapi/internal/storage/value/secretbox"
)

// Prefixes of the providers' values, as upstream writes them.
const (
	aesCBCPrefix    = "k8s:enc:aescbc:v1:"
	aesGCMPrefix    = "k8s:enc:aesgcm:v1:"
	secretboxPrefix = "k8s:enc:secretbox:v1:"
)

// errKMSv1 is upstream's refusal of kms apiVersion v1 while its deprecated feature
// gate is off, which it is by default; kapi has no such gate.
//
//lint:ignore ST1005 upstream's wording
var errKMSv1 = errors.New("KMSv1 is deprecated and will only receive security updates going forward. Use KMSv2 instead.  Set --feature-gates=KMSv1=true to use the deprecated KMSv1 feature.")

// Options tune how a configuration is built.
type Options struct {
	// Now is the clock of KMS providers; nil means time.Now.
	Now func() time.Time
}

// Built is a loaded configuration: a transformer per group-resource pattern and the
// KMS providers it started, which Close stops.
type Built struct {
	// transformers maps a resource ("secrets"), a group wildcard ("*" resource) or
	// "*.*" to the composed transformer of the entries that name it.
	transformers map[schema.GroupResource]value.Transformer
	// kms lists the KMS providers in configuration order: kms-provider-<index>.
	kms []*kmsv2.Provider
	// Hash is the content hash of the file it came from.
	Hash string
	// closeGrace is how long an old configuration's KMS connections stay open after
	// a reload replaced it: twice the sum of their timeouts, as upstream.
	closeGrace time.Duration
}

// LoadFile reads, validates and builds the configuration at path; KMS providers run
// until ctx ends or Close.
func LoadFile(ctx context.Context, path string, reload bool, opts Options) (*Built, error) {
	cfg, hash, err := loadFile(path, reload)
	if err != nil {
		return nil, fmt.Errorf("error while parsing file: %w", err)
	}
	b, err := Build(ctx, cfg, opts)
	if err != nil {
		return nil, fmt.Errorf("error while building transformers: %w", err)
	}
	b.Hash = hash
	return b, nil
}

// Build makes the transformers of a validated configuration.
func Build(ctx context.Context, cfg *EncryptionConfiguration, opts Options) (*Built, error) {
	b := &Built{transformers: map[schema.GroupResource]value.Transformer{}}
	if err := b.build(ctx, cfg, opts); err != nil {
		b.Close() // the KMS providers started before the failure
		return nil, err
	}
	return b, nil
}

func (b *Built) build(ctx context.Context, cfg *EncryptionConfiguration, opts Options) error {
	lists := map[schema.GroupResource][]value.Prefixed{}
	for _, rc := range cfg.Resources {
		providers, err := b.buildProviders(ctx, rc.Providers, opts)
		if err != nil {
			return err
		}
		for _, r := range rc.Resources {
			gr := schema.ParseGroupResource(r)
			for _, mask := range []schema.GroupResource{{Group: gr.Group, Resource: "*"}, anyGroupAnyResource} {
				if _, masked := lists[mask]; masked {
					return fmt.Errorf("resource %q is masked by earlier rule %q", yamlName(gr), yamlName(mask))
				}
			}
			lists[gr] = append(lists[gr], providers...)
		}
	}
	for gr, list := range lists {
		b.transformers[gr] = value.NewPrefixList(errors.New("no matching prefix found"), list...)
	}
	return nil
}

// yamlName writes a group-resource as the configuration does ("*." for all core).
func yamlName(gr schema.GroupResource) string {
	if gr.Group == "" && gr.Resource == "*" {
		return "*."
	}
	return gr.String()
}

func (b *Built) buildProviders(ctx context.Context, providers []ProviderConfiguration, opts Options) ([]value.Prefixed, error) {
	var out []value.Prefixed
	for _, p := range providers {
		var (
			entry value.Prefixed
			err   error
		)
		switch {
		case p.AESGCM != nil:
			entry, err = keyedProvider(aesGCMPrefix, p.AESGCM.Keys, "aes", "AES", aes.NewGCM)
		case p.AESCBC != nil:
			entry, err = keyedProvider(aesCBCPrefix, p.AESCBC.Keys, "aes", "AES", aes.NewCBC)
		case p.Secretbox != nil:
			entry, err = keyedProvider(secretboxPrefix, p.Secretbox.Keys, "secretbox", "Secretbox", secretbox.New)
		case p.KMS != nil:
			entry, err = b.kmsProvider(ctx, p.KMS, opts)
		case p.Identity != nil:
			entry = value.Prefixed{Prefix: []byte{}, Transformer: value.Identity()}
		default:
			err = errors.New(noProviderErr)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, entry)
	}
	return out, nil
}

// keyedProvider composes one transformer per key under the provider's prefix, each
// key's values prefixed by "<name>:".
// provider and kind name it in errors ("aes", "AES").
func keyedProvider(prefix string, keys []Key, provider, kind string, newKey func([]byte) (value.Transformer, error)) (value.Prefixed, error) {
	if len(keys) == 0 {
		return value.Prefixed{}, fmt.Errorf("%s provider has no valid keys", provider)
	}
	entries := make([]value.Prefixed, 0, len(keys))
	for _, k := range keys {
		if k.Name == "" {
			return value.Prefixed{}, errors.New("key with invalid name provided")
		}
		secret, err := base64.StdEncoding.DecodeString(k.Secret)
		if err != nil {
			return value.Prefixed{}, fmt.Errorf("could not obtain secret for named key %s: %w", k.Name, err)
		}
		t, err := newKey(secret)
		if err != nil {
			return value.Prefixed{}, fmt.Errorf("error while creating cipher for named key %s: %w", k.Name, err)
		}
		entries = append(entries, value.Prefixed{Prefix: []byte(k.Name + ":"), Transformer: t})
	}
	noKey := fmt.Errorf("no matching key was found for the provided %s transformer", kind)
	return value.Prefixed{Prefix: []byte(prefix), Transformer: value.NewPrefixList(noKey, entries...)}, nil
}

func (b *Built) kmsProvider(ctx context.Context, c *KMSConfiguration, opts Options) (value.Prefixed, error) {
	switch c.APIVersion {
	case "v1":
		return value.Prefixed{}, errKMSv1
	case "v2":
	default:
		return value.Prefixed{}, fmt.Errorf("could not configure KMS plugin %q, unsupported KMS API version %q", c.Name, c.APIVersion)
	}
	p, err := kmsv2.New(ctx, kmsv2.Config{Name: c.Name, Endpoint: c.Endpoint, Timeout: c.Timeout.Duration, Now: opts.Now})
	if err != nil {
		return value.Prefixed{}, err
	}
	b.kms = append(b.kms, p)
	b.closeGrace += 2 * c.Timeout.Duration
	return value.Prefixed{Prefix: []byte(p.Prefix()), Transformer: p}, nil
}

// UsesKMS reports whether the configuration has KMS providers (and so a health check).
func (b *Built) UsesKMS() bool { return len(b.kms) > 0 }

// Check is the kms-providers health check: every KMS provider's, failures named
// kms-provider-<index>.
func (b *Built) Check(ctx context.Context) error {
	var errs []error
	for i, p := range b.kms {
		if err := p.Check(ctx); err != nil {
			errs = append(errs, fmt.Errorf("kms-provider-%d: %w", i, err))
		}
	}
	return utilerrors.Reduce(utilerrors.NewAggregate(errs))
}

// Close stops the KMS providers.
func (b *Built) Close() {
	for _, p := range b.kms {
		p.Close()
	}
}

// TransformerFor returns the transformer of gr: its own entry, else its group's
// wildcard, else "*.*", else identity.
func (b *Built) TransformerFor(gr schema.GroupResource) value.Transformer {
	if b != nil {
		for _, k := range []schema.GroupResource{gr, {Group: gr.Group, Resource: "*"}, anyGroupAnyResource} {
			if t, ok := b.transformers[k]; ok {
				return t
			}
		}
	}
	return value.Identity()
}
