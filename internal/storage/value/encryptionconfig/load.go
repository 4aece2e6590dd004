package encryptionconfig

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// Defaults of a kms provider, as upstream's.
const (
	defaultKMSTimeout          = 3 * time.Second
	defaultKMSAPIVersion       = "v1"
	defaultKMSCacheSize  int32 = 1000
)

// readFile returns the file's content and its hash ("sha256:<hex>"), which tells a
// reload whether anything changed.
func readFile(path string) ([]byte, string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("error reading encryption provider configuration file %q: %w", path, err)
	}
	if len(data) == 0 {
		return nil, "", fmt.Errorf("encryption provider configuration file %q is empty", path)
	}
	return data, fmt.Sprintf("sha256:%x", sha256.Sum256(data)), nil
}

// Parse decodes an EncryptionConfiguration (YAML or JSON) strictly, as upstream's
// strict decoder: unknown and duplicate fields are errors. It applies defaults and
// validates; reload adds the checks of an automatically reloaded file. Errors never
// quote secrets.
func Parse(data []byte, reload bool) (*EncryptionConfiguration, error) {
	cfg, err := decode(data)
	if err != nil {
		return nil, err
	}
	return cfg, defaultAndValidate(cfg, reload)
}

func defaultAndValidate(cfg *EncryptionConfiguration, reload bool) error {
	setDefaults(cfg)
	if errs := Validate(cfg, reload); len(errs) > 0 {
		return errs.ToAggregate()
	}
	return nil
}

// Upstream's wording, without the file content it quotes (secrets).
var (
	//lint:ignore ST1005 upstream's wording
	errKindMissing = errors.New("Object 'Kind' is missing in the configuration")
	//lint:ignore ST1005 upstream's wording
	errAPIVersionMissing = errors.New("Object 'apiVersion' is missing in the configuration")
)

// decode parses the file; its errors never show secrets.
func decode(data []byte) (*EncryptionConfiguration, error) {
	cfg, err := decodeStrict(data)
	return cfg, scrub(err)
}

func decodeStrict(data []byte) (*EncryptionConfiguration, error) {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, err
	}
	var strictErrs []error
	if _, err := yaml.YAMLToJSONStrict(data); err != nil {
		strictErrs = append(strictErrs, err)
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return nil, fmt.Errorf("couldn't get version/kind; json parse error: %v", err)
	}
	switch {
	case tm.Kind == "":
		return nil, errKindMissing
	case tm.APIVersion == "":
		return nil, errAPIVersionMissing
	case tm.APIVersion != APIVersion || tm.Kind != Kind:
		return nil, fmt.Errorf("no kind %q is registered for version %q", tm.Kind, tm.APIVersion)
	}
	cfg := &EncryptionConfiguration{}
	errs, err := sigsjson.UnmarshalStrict(js, cfg)
	if err != nil {
		return nil, err
	}
	strictErrs = append(strictErrs, errs...)
	if len(strictErrs) > 0 {
		return nil, runtime.NewStrictDecodingError(strictErrs)
	}
	return cfg, nil
}

func setDefaults(cfg *EncryptionConfiguration) {
	for i := range cfg.Resources {
		for j := range cfg.Resources[i].Providers {
			k := cfg.Resources[i].Providers[j].KMS
			if k == nil {
				continue
			}
			if k.Timeout == nil {
				k.Timeout = &metav1.Duration{Duration: defaultKMSTimeout}
			}
			if k.APIVersion == "" {
				k.APIVersion = defaultKMSAPIVersion
			}
			if k.CacheSize == nil && k.APIVersion == "v1" {
				size := defaultKMSCacheSize
				k.CacheSize = &size
			}
		}
	}
}

// loadFile reads, decodes and validates the configuration at path; it returns the
// content hash with it.
func loadFile(path string, reload bool) (*EncryptionConfiguration, string, error) {
	data, hash, err := readFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("error while loading file: %w", err)
	}
	cfg, err := decode(data)
	if err != nil {
		return nil, "", fmt.Errorf("error decoding encryption provider configuration file %q: %w", path, err)
	}
	if err := defaultAndValidate(cfg, reload); err != nil {
		return nil, "", err
	}
	return cfg, hash, nil
}
