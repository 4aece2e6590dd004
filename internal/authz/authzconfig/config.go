// Package authzconfig reads the structured authorization configuration
// (--authorization-config, AuthorizationConfiguration of apiserver.config.k8s.io) and
// checks it as kube-apiserver does.
package authzconfig

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/authz/webhook"
)

// Configuration is an AuthorizationConfiguration.
type Configuration struct {
	metav1.TypeMeta `json:",inline"`
	Authorizers     []Authorizer `json:"authorizers"`
}

// Authorizer is one entry of the chain, evaluated in order.
type Authorizer struct {
	Type    string   `json:"type"`
	Name    string   `json:"name"`
	Webhook *Webhook `json:"webhook,omitempty"`
}

// Webhook configures a Webhook authorizer.
type Webhook struct {
	Timeout                                  metav1.Duration  `json:"timeout"`
	SubjectAccessReviewVersion               string           `json:"subjectAccessReviewVersion"`
	MatchConditionSubjectAccessReviewVersion string           `json:"matchConditionSubjectAccessReviewVersion"`
	FailurePolicy                            string           `json:"failurePolicy"`
	AuthorizedTTL                            metav1.Duration  `json:"authorizedTTL"`
	UnauthorizedTTL                          metav1.Duration  `json:"unauthorizedTTL"`
	CacheAuthorizedRequests                  *bool            `json:"cacheAuthorizedRequests,omitempty"`
	CacheUnauthorizedRequests                *bool            `json:"cacheUnauthorizedRequests,omitempty"`
	ConnectionInfo                           ConnectionInfo   `json:"connectionInfo"`
	MatchConditions                          []MatchCondition `json:"matchConditions,omitempty"`
}

// ConnectionInfo says how to reach a webhook.
type ConnectionInfo struct {
	Type           string `json:"type"`
	KubeConfigFile string `json:"kubeConfigFile,omitempty"`
}

// MatchCondition is a CEL expression that decides whether a request goes to the webhook.
type MatchCondition struct {
	Expression string `json:"expression"`
}

var supportedVersions = map[string]bool{"apiserver.config.k8s.io/v1": true, "apiserver.config.k8s.io/v1beta1": true, "apiserver.config.k8s.io/v1alpha1": true}

// Load reads and validates path.
func Load(path string) (*Configuration, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(data)
}

// Parse decodes and validates a configuration (YAML or JSON), refusing unknown fields.
func Parse(data []byte) (*Configuration, error) {
	var c Configuration
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		return nil, fmt.Errorf("decoding the authorization configuration: %w", err)
	}
	if c.Kind != "AuthorizationConfiguration" || !supportedVersions[c.APIVersion] {
		return nil, fmt.Errorf("unsupported authorization configuration %s, %s: want apiserver.config.k8s.io/v1 AuthorizationConfiguration", c.APIVersion, c.Kind)
	}
	if errs := c.validate(); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	return &c, nil
}

var singletons = map[string]bool{"Node": true, "RBAC": true, "AlwaysAllow": true, "AlwaysDeny": true}

func (c *Configuration) validate() field.ErrorList {
	var errs field.ErrorList
	root := field.NewPath("authorizers")
	if len(c.Authorizers) == 0 {
		return append(errs, field.Required(root, "at least one authorization mode must be defined"))
	}
	seenTypes, seenNames := map[string]bool{}, map[string]bool{}
	for i, a := range c.Authorizers {
		p := root.Index(i)
		switch {
		case a.Type == "":
			errs = append(errs, field.Required(p.Child("type"), ""))
		case a.Type == "Webhook":
			if a.Webhook == nil {
				errs = append(errs, field.Required(p.Child("webhook"), "required when type=Webhook"))
			} else {
				errs = append(errs, a.Webhook.validate(p.Child("webhook"))...)
			}
		case singletons[a.Type]:
			if seenTypes[a.Type] {
				errs = append(errs, field.Duplicate(p.Child("type"), a.Type))
			}
			if a.Webhook != nil {
				errs = append(errs, field.Invalid(p.Child("webhook"), "non-null", "may only be specified when type=Webhook"))
			}
		default:
			errs = append(errs, field.NotSupported(p.Child("type"), a.Type, []string{"AlwaysAllow", "AlwaysDeny", "Node", "RBAC", "Webhook"}))
		}
		seenTypes[a.Type] = true
		switch {
		case a.Name == "":
			errs = append(errs, field.Required(p.Child("name"), ""))
		case seenNames[a.Name]:
			errs = append(errs, field.Duplicate(p.Child("name"), a.Name))
		default:
			for _, msg := range validation.IsDNS1123Subdomain(a.Name) {
				errs = append(errs, field.Invalid(p.Child("name"), a.Name, msg))
			}
		}
		seenNames[a.Name] = true
	}
	return errs
}

func (w *Webhook) validate(p *field.Path) field.ErrorList {
	var errs field.ErrorList
	if w.Timeout.Duration == 0 {
		errs = append(errs, field.Required(p.Child("timeout"), ""))
	} else if w.Timeout.Duration > 30*time.Second || w.Timeout.Duration < 0 {
		errs = append(errs, field.Invalid(p.Child("timeout"), w.Timeout.Duration.String(), "must be > 0s and <= 30s"))
	}
	switch w.SubjectAccessReviewVersion {
	case "v1", "v1beta1":
	case "":
		errs = append(errs, field.Required(p.Child("subjectAccessReviewVersion"), ""))
	default:
		errs = append(errs, field.NotSupported(p.Child("subjectAccessReviewVersion"), w.SubjectAccessReviewVersion, []string{"v1", "v1beta1"}))
	}
	switch w.FailurePolicy {
	case "NoOpinion", "Deny":
	case "":
		errs = append(errs, field.Required(p.Child("failurePolicy"), ""))
	default:
		errs = append(errs, field.NotSupported(p.Child("failurePolicy"), w.FailurePolicy, []string{"NoOpinion", "Deny"}))
	}
	ci := p.Child("connectionInfo")
	switch w.ConnectionInfo.Type {
	case "KubeConfigFile":
		switch {
		case w.ConnectionInfo.KubeConfigFile == "":
			errs = append(errs, field.Required(ci.Child("kubeConfigFile"), ""))
		case !filepath.IsAbs(w.ConnectionInfo.KubeConfigFile):
			errs = append(errs, field.Invalid(ci.Child("kubeConfigFile"), w.ConnectionInfo.KubeConfigFile, "must be an absolute path"))
		}
	case "InClusterConfig":
		if w.ConnectionInfo.KubeConfigFile != "" {
			errs = append(errs, field.Invalid(ci.Child("kubeConfigFile"), w.ConnectionInfo.KubeConfigFile, "can only be set when type=KubeConfigFile"))
		}
		errs = append(errs, field.NotSupported(ci.Child("type"), w.ConnectionInfo.Type, []string{"KubeConfigFile"}))
	case "":
		errs = append(errs, field.Required(ci.Child("type"), ""))
	default:
		errs = append(errs, field.NotSupported(ci.Child("type"), w.ConnectionInfo.Type, []string{"KubeConfigFile", "InClusterConfig"}))
	}
	if len(w.MatchConditions) > 0 {
		switch w.MatchConditionSubjectAccessReviewVersion {
		case "v1":
		case "":
			errs = append(errs, field.Required(p.Child("matchConditionSubjectAccessReviewVersion"), "required if match conditions are specified"))
		default:
			errs = append(errs, field.NotSupported(p.Child("matchConditionSubjectAccessReviewVersion"), w.MatchConditionSubjectAccessReviewVersion, []string{"v1"}))
		}
		seen := map[string]bool{}
		for i, c := range w.MatchConditions {
			ep := p.Child("matchConditions").Index(i).Child("expression")
			switch {
			case c.Expression == "":
				errs = append(errs, field.Required(ep, ""))
			case seen[c.Expression]:
				errs = append(errs, field.Duplicate(ep, c.Expression))
			default:
				if err := webhook.ValidateMatchConditions([]string{c.Expression}); err != nil {
					errs = append(errs, field.Invalid(ep, c.Expression, strings.TrimPrefix(err.Error(), "matchConditions[0].expression: ")))
				}
			}
			seen[c.Expression] = true
		}
	}
	return errs
}

// TTLs returns the cache lifetimes, zero when caching is turned off.
func (w *Webhook) TTLs() (authorized, unauthorized time.Duration) {
	authorized, unauthorized = w.AuthorizedTTL.Duration, w.UnauthorizedTTL.Duration
	if w.CacheAuthorizedRequests != nil && !*w.CacheAuthorizedRequests {
		authorized = 0
	}
	if w.CacheUnauthorizedRequests != nil && !*w.CacheUnauthorizedRequests {
		unauthorized = 0
	}
	return authorized, unauthorized
}

// Expressions returns the match conditions' CEL sources.
func (w *Webhook) Expressions() []string {
	out := make([]string, len(w.MatchConditions))
	for i, c := range w.MatchConditions {
		out[i] = c.Expression
	}
	return out
}
