package encryptionconfig

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The only apiVersion and kind the file may have.
const (
	APIVersion = "apiserver.config.k8s.io/v1"
	Kind       = "EncryptionConfiguration"
)

// EncryptionConfiguration lists which resources are encrypted with which providers.
// Entries are matched in order; the first entry naming a resource wins.
type EncryptionConfiguration struct {
	metav1.TypeMeta `json:",inline"`
	Resources       []ResourceConfiguration `json:"resources"`
}

// ResourceConfiguration is one entry: resources ("secrets", "deployments.apps",
// "*.apps", "*." for the core group, "*.*" for all) and their providers, the first
// one writing.
type ResourceConfiguration struct {
	Resources []string                `json:"resources"`
	Providers []ProviderConfiguration `json:"providers"`
}

// ProviderConfiguration holds exactly one provider.
type ProviderConfiguration struct {
	AESGCM    *AESConfiguration       `json:"aesgcm,omitempty"`
	AESCBC    *AESConfiguration       `json:"aescbc,omitempty"`
	Secretbox *SecretboxConfiguration `json:"secretbox,omitempty"`
	Identity  *IdentityConfiguration  `json:"identity,omitempty"`
	KMS       *KMSConfiguration       `json:"kms,omitempty"`
}

// AESConfiguration lists the keys of aesgcm or aescbc; the first one encrypts.
type AESConfiguration struct {
	Keys []Key `json:"keys"`
}

// SecretboxConfiguration lists secretbox keys; the first one encrypts.
type SecretboxConfiguration struct {
	Keys []Key `json:"keys"`
}

// Key is a named base64-encoded secret; values carry the name in their prefix.
type Key struct {
	Name   string `json:"name"`
	Secret string `json:"secret"`
}

// String never shows the secret.
func (k Key) String() string { return fmt.Sprintf("Name: %s, Secret: [REDACTED]", k.Name) }

// IdentityConfiguration stores values as they are.
type IdentityConfiguration struct{}

// KMSConfiguration is an external KMS plugin. Only apiVersion v2 is served; v1
// (the default, as upstream) is refused as upstream refuses it without its
// deprecated feature gate.
type KMSConfiguration struct {
	APIVersion string           `json:"apiVersion"`
	Name       string           `json:"name"`
	CacheSize  *int32           `json:"cachesize,omitempty"`
	Endpoint   string           `json:"endpoint"`
	Timeout    *metav1.Duration `json:"timeout,omitempty"`
}
