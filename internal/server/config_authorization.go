package server

import "time"

// AuthorizationOptions are kube-apiserver's authorization flags beyond the mode list.
type AuthorizationOptions struct {
	// AuthorizationConfigFile is --authorization-config: a structured
	// AuthorizationConfiguration, exclusive with the mode and webhook flags.
	AuthorizationConfigFile string
	// AuthorizationConfigReloadInterval is how often that file is checked for changes
	// (default one minute).
	AuthorizationConfigReloadInterval time.Duration

	WebhookConfigFile      string
	WebhookVersion         string
	WebhookAuthorizedTTL   time.Duration
	WebhookUnauthorizedTTL time.Duration
}
