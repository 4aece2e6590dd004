package admission

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"sigs.k8s.io/yaml"
)

// Config is an AdmissionConfiguration (apiserver.config.k8s.io/v1): per-plugin
// configuration, inline or in a file of its own.
type Config struct {
	APIVersion string         `json:"apiVersion"`
	Kind       string         `json:"kind"`
	Plugins    []PluginConfig `json:"plugins"`
}

// PluginConfig configures one plugin. Path, when relative, is relative to the
// directory of the admission configuration file.
type PluginConfig struct {
	Name          string          `json:"name"`
	Path          string          `json:"path,omitempty"`
	Configuration json.RawMessage `json:"configuration,omitempty"`
}

// ReadConfig reads the --admission-control-config-file; "" is an empty configuration.
func ReadConfig(path string) (*Config, error) {
	if path == "" {
		return &Config{}, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("unable to read admission control configuration from %q [%v]", path, err)
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return nil, fmt.Errorf("admission control configuration %q: %w", path, err)
	}
	base := filepath.Dir(path)
	for i, p := range cfg.Plugins {
		if p.Path != "" && !filepath.IsAbs(p.Path) {
			cfg.Plugins[i].Path = filepath.Join(base, p.Path)
		}
	}
	return cfg, nil
}

// ParseConfig decodes an AdmissionConfiguration (YAML or JSON), rejecting unknown
// fields as upstream's strict decoding does.
func ParseConfig(data []byte) (*Config, error) {
	cfg := &Config{}
	if err := yaml.UnmarshalStrict(data, cfg); err != nil {
		return nil, err
	}
	switch cfg.APIVersion {
	case "apiserver.config.k8s.io/v1", "apiserver.k8s.io/v1alpha1", "apiserver.config.k8s.io/v1alpha1":
	case "":
		//lint:ignore ST1005 upstream's message
		return nil, fmt.Errorf("Object 'apiVersion' is missing")
	default:
		return nil, fmt.Errorf("no kind %q is registered for version %q", cfg.Kind, cfg.APIVersion)
	}
	if cfg.Kind != "AdmissionConfiguration" {
		return nil, fmt.Errorf("no kind %q is registered for version %q", cfg.Kind, cfg.APIVersion)
	}
	for i, p := range cfg.Plugins {
		if p.Name == "" {
			return nil, fmt.Errorf("plugins[%d].name: Required value", i)
		}
	}
	return cfg, nil
}

// For returns the raw configuration of plugin name (JSON or YAML), or nil.
func (c *Config) For(name string) ([]byte, error) {
	if c == nil {
		return nil, nil
	}
	for _, p := range c.Plugins {
		if p.Name != name {
			continue
		}
		if len(p.Configuration) > 0 {
			return p.Configuration, nil
		}
		if p.Path != "" {
			data, err := os.ReadFile(p.Path)
			if err != nil {
				return nil, fmt.Errorf("failed to read plugin config: %v", err)
			}
			return data, nil
		}
	}
	return nil, nil
}
