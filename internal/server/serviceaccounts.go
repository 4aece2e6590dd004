package server

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/authn/serviceaccount"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/registry/builtin"
)

// serviceAccounts is the service-account token machinery built from the options:
// the issuer behind serviceaccounts/token, the token authenticator and the issuer
// discovery documents.
type serviceAccounts struct {
	tokens        *builtin.ServiceAccountTokens
	authenticator *serviceaccount.Authenticator
	// metadata is nil when the issuer is not an https URL: upstream then serves no
	// discovery documents.
	metadata *serviceaccount.OpenIDMetadata
	// audiences are the API audiences (--api-audiences or the issuers).
	audiences []string
}

// newServiceAccounts completes the service-account options and builds the issuer,
// the authenticator (reading objects through s.stores once they exist) and the
// discovery documents.
func (s *Server) newServiceAccounts() (*serviceAccounts, error) {
	o := &s.cfg.ServiceAccountOptions
	if err := o.completeServiceAccounts(); err != nil {
		return nil, err
	}
	key, err := s.serviceAccountSigningKey()
	if err != nil {
		return nil, err
	}
	issuer, err := serviceaccount.NewIssuer(o.ServiceAccountIssuers[0], key)
	if err != nil {
		return nil, fmt.Errorf("failed to build token generator: %w", err)
	}
	keys, err := serviceaccount.ReadPublicKeys(o.ServiceAccountKeyFiles...)
	if err != nil {
		return nil, fmt.Errorf("--service-account-key-file: %w", err)
	}
	signing, err := serviceaccount.NewPublicKey(key.Public())
	if err != nil {
		return nil, err
	}
	if !hasKeyID(keys, signing.KeyID) {
		keys = append(keys, signing)
	}
	objects := storeObjects{stores: func(gvr schema.GroupVersionResource) *registry.Store { return s.stores[gvr] }}
	auth, err := serviceaccount.NewAuthenticator(serviceaccount.Config{
		Issuers:          o.ServiceAccountIssuers,
		Keys:             keys,
		APIAudiences:     o.APIAudiences,
		Objects:          objects,
		LegacyTokens:     objects,
		SkipLegacyLookup: o.ServiceAccountSkipLookup,
	})
	if err != nil {
		return nil, err
	}
	external := net.JoinHostPort(s.cfg.AdvertiseAddress.String(), strconv.Itoa(s.cfg.SecurePort))
	md, err := serviceaccount.NewOpenIDMetadata(o.ServiceAccountIssuers[0], o.ServiceAccountJWKSURI, external, keys)
	if err != nil {
		slog.Warn("Could not construct pre-rendered responses for ServiceAccountIssuerDiscovery endpoints. Endpoints will not be enabled.", "err", err)
	}
	return &serviceAccounts{
		tokens: &builtin.ServiceAccountTokens{
			Issuer:           issuer,
			MaxExpiration:    o.ServiceAccountMaxTokenExpiration,
			ExtendExpiration: o.extendTokenExpiration(),
		},
		authenticator: auth,
		metadata:      md,
		audiences:     o.APIAudiences,
	}, nil
}

func hasKeyID(keys []serviceaccount.PublicKey, id string) bool {
	for _, k := range keys {
		if k.KeyID == id {
			return true
		}
	}
	return false
}

// serviceAccountSigningKey reads --service-account-signing-key-file, or in embedded
// mode the key in <data-dir>/pki/sa.key, generating it on the first start.
func (s *Server) serviceAccountSigningKey() (crypto.Signer, error) {
	if f := s.cfg.ServiceAccountSigningKeyFile; f != "" {
		key, err := serviceaccount.ReadPrivateKey(f)
		if err != nil {
			return nil, fmt.Errorf("failed to parse service-account-issuer-key-file: %w", err)
		}
		return key, nil
	}
	return ensureServiceAccountKey(filepath.Join(s.cfg.CertDir, "sa.key"))
}

// ensureServiceAccountKey loads the RSA key at path or creates it (0600, written
// atomically so that a crash never leaves half a key).
func ensureServiceAccountKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err == nil {
		key, err := serviceaccount.ParsePrivateKey(data)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		return key, nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".sa.key-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name())
	if err := pem.Encode(tmp, &pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}); err != nil {
		tmp.Close()
		return nil, err
	}
	if err := tmp.Close(); err != nil {
		return nil, err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, err
	}
	return key, nil
}

// serviceAccountAuthenticators is the token authenticator for the authenticator union.
func (s *Server) serviceAccountAuthenticators() []authn.Authenticator {
	if s.serviceAccounts == nil {
		return nil
	}
	return []authn.Authenticator{s.serviceAccounts.authenticator}
}

// installServiceAccountIssuerDiscovery serves the OpenID discovery document and key
// set, which go through authentication and authorization like any non-resource URL.
func (s *Server) installServiceAccountIssuerDiscovery(mux *http.ServeMux) (paths []string) {
	if s.serviceAccounts == nil || s.serviceAccounts.metadata == nil {
		return nil
	}
	mux.Handle(serviceaccount.OpenIDConfigPath, s.serviceAccounts.metadata.ConfigurationHandler())
	mux.Handle(serviceaccount.JWKSPath, s.serviceAccounts.metadata.KeySetHandler())
	return []string{serviceaccount.OpenIDConfigPath, serviceaccount.JWKSPath}
}

// storeObjects reads the objects tokens name through the registry stores, from the
// watch cache first and from etcd when the cache does not have them yet, as
// upstream's informer-backed getter does.
type storeObjects struct {
	stores func(gvr schema.GroupVersionResource) *registry.Store
}

var (
	saServiceAccountsGVR = corev1.SchemeGroupVersion.WithResource("serviceaccounts")
	saPodsGVR            = corev1.SchemeGroupVersion.WithResource("pods")
	saSecretsGVR         = corev1.SchemeGroupVersion.WithResource("secrets")
	saNodesGVR           = corev1.SchemeGroupVersion.WithResource("nodes")
)

func (g storeObjects) get(ctx context.Context, gvr schema.GroupVersionResource, ns, name string) (runtime.Object, error) {
	st := g.stores(gvr)
	if st == nil {
		return nil, fmt.Errorf("no store for %s", gvr)
	}
	if name == "" {
		return nil, apierrors.NewNotFound(gvr.GroupResource(), name)
	}
	obj, err := st.Get(ctx, ns, name, &metav1.GetOptions{ResourceVersion: "0"})
	if apierrors.IsNotFound(err) {
		obj, err = st.Get(ctx, ns, name, &metav1.GetOptions{})
	}
	return obj, err
}

func (g storeObjects) ServiceAccount(ctx context.Context, ns, name string) (*corev1.ServiceAccount, error) {
	obj, err := g.get(ctx, saServiceAccountsGVR, ns, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.ServiceAccount), nil
}

func (g storeObjects) Pod(ctx context.Context, ns, name string) (*corev1.Pod, error) {
	obj, err := g.get(ctx, saPodsGVR, ns, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Pod), nil
}

func (g storeObjects) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	obj, err := g.get(ctx, saSecretsGVR, ns, name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Secret), nil
}

func (g storeObjects) Node(ctx context.Context, name string) (*corev1.Node, error) {
	obj, err := g.get(ctx, saNodesGVR, "", name)
	if err != nil {
		return nil, err
	}
	return obj.(*corev1.Node), nil
}

// MarkLegacyTokenUsed labels the Secret with the day its legacy token was used,
// unless it was replaced by another Secret of the same name.
func (g storeObjects) MarkLegacyTokenUsed(ctx context.Context, secret *corev1.Secret, day string) error {
	st := g.stores(saSecretsGVR)
	if st == nil {
		return fmt.Errorf("no store for %s", saSecretsGVR)
	}
	_, _, err := st.Update(ctx, secret.Namespace, secret.Name, "", func(_ context.Context, current runtime.Object) (runtime.Object, error) {
		if current == nil {
			return nil, apierrors.NewNotFound(saSecretsGVR.GroupResource(), secret.Name)
		}
		cur := current.(*corev1.Secret)
		if cur.UID != secret.UID {
			return nil, apierrors.NewConflict(saSecretsGVR.GroupResource(), secret.Name, fmt.Errorf("the secret was replaced"))
		}
		if cur.Labels == nil {
			cur.Labels = map[string]string{}
		}
		cur.Labels[serviceaccount.LastUsedLabel] = day
		return cur, nil
	}, nil, nil, false, false)
	return err
}

var (
	_ serviceaccount.ObjectGetter       = storeObjects{}
	_ serviceaccount.LegacyTokenTracker = storeObjects{}
)
