package server

import "time"

// AuthorizationOptions are kube-apiserver's authorization flags beyond the mode list.
type AuthorizationOptions struct {
	// AuthorizationConfigFile is --authorization-config: a structured
	// AuthorizationConfiguration, exclusive with the mode and webhook flags.
	AuthorizationConfigFile string

	WebhookConfigFile      string
	WebhookVersion         string
	WebhookAuthorizedTTL   time.Duration
	WebhookUnauthorizedTTL time.Duration
}
