package server

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// ServiceAccountOptions are kube-apiserver's service-account token flags. With none
// of SigningKeyFile and Issuers set, kapi runs in embedded mode: it signs with an RSA
// key generated once in <data-dir>/pki/sa.key and issues as DefaultServiceAccountIssuer.
type ServiceAccountOptions struct {
	// ServiceAccountSigningKeyFile is the private key tokens are signed with
	// (--service-account-signing-key-file).
	ServiceAccountSigningKeyFile string
	// ServiceAccountKeyFiles hold further keys that verify tokens
	// (--service-account-key-file, repeatable); the signing key always verifies.
	ServiceAccountKeyFiles []string
	// ServiceAccountIssuers are the accepted issuers; the first is the one issued
	// (--service-account-issuer, repeatable).
	ServiceAccountIssuers []string
	// ServiceAccountJWKSURI overrides the jwks_uri of the discovery document
	// (--service-account-jwks-uri).
	ServiceAccountJWKSURI string
	// ServiceAccountSkipLookup is --service-account-lookup=false: legacy
	// secret-based tokens are taken on their signature alone, without checking that
	// their secret and service account still exist.
	ServiceAccountSkipLookup bool
	// ServiceAccountMaxTokenExpiration caps the lifetime of requested tokens; zero
	// means no cap (--service-account-max-token-expiration).
	ServiceAccountMaxTokenExpiration time.Duration
	// ServiceAccountExtendTokenExpiration extends kubelet-projected tokens to a year
	// (--service-account-extend-token-expiration); nil means true, upstream's default.
	ServiceAccountExtendTokenExpiration *bool
	// APIAudiences are the audiences of the API (--api-audiences); empty means the
	// issuers.
	APIAudiences []string
}

// DefaultServiceAccountIssuer is the issuer of embedded mode: the in-cluster name of
// the API server.
const DefaultServiceAccountIssuer = "https://kubernetes.default.svc.cluster.local"

// embeddedServiceAccounts reports whether no external token configuration was given.
func (o *ServiceAccountOptions) embeddedServiceAccounts() bool {
	return o.ServiceAccountSigningKeyFile == "" && len(o.ServiceAccountIssuers) == 0
}

// completeServiceAccounts checks the options with kube-apiserver's rules and fills
// the defaults of embedded mode.
func (o *ServiceAccountOptions) completeServiceAccounts() error {
	var errs []error
	if o.embeddedServiceAccounts() {
		o.ServiceAccountIssuers = []string{DefaultServiceAccountIssuer}
	} else if o.ServiceAccountSigningKeyFile == "" || len(o.ServiceAccountIssuers) == 0 || o.ServiceAccountIssuers[0] == "" {
		errs = append(errs, errors.New("--service-account-signing-key-file, --service-account-issuer, and --api-audiences should be specified together"))
	}
	seen := map[string]bool{}
	for _, iss := range o.ServiceAccountIssuers {
		switch {
		case iss == "":
			errs = append(errs, errors.New("service-account-issuer should not be an empty string"))
			continue
		case strings.Contains(iss, ":"):
			if _, err := url.Parse(iss); err != nil {
				errs = append(errs, fmt.Errorf("service-account-issuer %q contained a ':' but was not a valid URL: %v", iss, err))
				continue
			}
		}
		if seen[iss] {
			errs = append(errs, fmt.Errorf("service-account-issuer %q is already specified", iss))
			continue
		}
		seen[iss] = true
	}
	if o.ServiceAccountJWKSURI != "" {
		if u, err := url.Parse(o.ServiceAccountJWKSURI); err != nil {
			errs = append(errs, fmt.Errorf("service-account-jwks-uri must be a valid URL: %v", err))
		} else if u.Scheme != "https" {
			errs = append(errs, fmt.Errorf("service-account-jwks-uri requires https scheme, parsed as: %v", u.String()))
		}
	}
	if m := o.ServiceAccountMaxTokenExpiration; m != 0 && (m < time.Hour || m > time.Duration(1<<32)*time.Second) {
		errs = append(errs, errors.New("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds"))
	}
	if len(o.APIAudiences) == 0 {
		o.APIAudiences = append([]string(nil), o.ServiceAccountIssuers...)
	}
	return errors.Join(errs...)
}

// extendTokenExpiration is --service-account-extend-token-expiration with its default.
func (o *ServiceAccountOptions) extendTokenExpiration() bool {
	return o.ServiceAccountExtendTokenExpiration == nil || *o.ServiceAccountExtendTokenExpiration
}
