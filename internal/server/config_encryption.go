package server

import "time"

// EncryptionOptions are kube-apiserver's encryption-at-rest flags.
type EncryptionOptions struct {
	// EncryptionProviderConfig is the EncryptionConfiguration file
	// (--encryption-provider-config); empty stores every value unencrypted.
	EncryptionProviderConfig string
	// EncryptionProviderConfigAutomaticReload reloads the file when its content
	// changes (--encryption-provider-config-automatic-reload); an invalid new file is
	// reported and the configuration in force stays.
	EncryptionProviderConfigAutomaticReload bool
	// EncryptionProviderConfigReloadInterval is how often a reloaded file is read;
	// zero means upstream's minute. Tests shorten it.
	EncryptionProviderConfigReloadInterval time.Duration
}
