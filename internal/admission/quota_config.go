package admission

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// quotaConfig is ResourceQuota's admission configuration
// (ResourceQuotaConfiguration, apiserver.config.k8s.io/v1).
type quotaConfig struct {
	APIVersion       string            `json:"apiVersion"`
	Kind             string            `json:"kind"`
	LimitedResources []limitedResource `json:"limitedResources"`
}

// limitedResource names usage that may only be consumed under a covering quota.
type limitedResource struct {
	APIGroup      string                                     `json:"apiGroup,omitempty"`
	Resource      string                                     `json:"resource"`
	MatchContains []string                                   `json:"matchContains,omitempty"`
	MatchScopes   []corev1.ScopedResourceSelectorRequirement `json:"matchScopes,omitempty"`
}

func parseQuotaConfig(raw []byte) (*quotaConfig, error) {
	cfg := &quotaConfig{}
	if len(raw) == 0 {
		return cfg, nil
	}
	if err := yaml.UnmarshalStrict(raw, cfg); err != nil {
		return nil, err
	}
	switch cfg.APIVersion {
	case "apiserver.config.k8s.io/v1", "resourcequota.admission.k8s.io/v1", "resourcequota.admission.k8s.io/v1beta1", "resourcequota.admission.k8s.io/v1alpha1", "":
	default:
		return nil, fmt.Errorf("no kind %q is registered for version %q", cfg.Kind, cfg.APIVersion)
	}
	if cfg.Kind != "" && cfg.Kind != "ResourceQuotaConfiguration" && cfg.Kind != "Configuration" {
		return nil, fmt.Errorf("no kind %q is registered for version %q", cfg.Kind, cfg.APIVersion)
	}
	return cfg, nil
}
