package admission

import (
	"encoding/json"
	"fmt"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation/field"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	psapi "k8s.io/pod-security-admission/api"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"
)

// podSecurityConfigGroup is the API group of PodSecurityConfiguration; its
// versions v1, v1beta1 and v1alpha1 share one schema.
const podSecurityConfigGroup = "pod-security.admission.config.k8s.io"

var podSecurityConfigVersions = sets.New("v1", "v1beta1", "v1alpha1")

// podSecurityConfig is PodSecurity's admission configuration
// (PodSecurityConfiguration): the policy of namespaces without labels, and who or
// what is never evaluated.
type podSecurityConfig struct {
	metav1.TypeMeta `json:",inline"`
	Defaults        podSecurityDefaults   `json:"defaults"`
	Exemptions      podSecurityExemptions `json:"exemptions"`

	// policy is Defaults parsed; set by parsePodSecurityConfig.
	policy psapi.Policy
}

// podSecurityDefaults are the levels and versions of unlabelled namespaces.
type podSecurityDefaults struct {
	Enforce        string `json:"enforce,omitempty"`
	EnforceVersion string `json:"enforce-version,omitempty"`
	Audit          string `json:"audit,omitempty"`
	AuditVersion   string `json:"audit-version,omitempty"`
	Warn           string `json:"warn,omitempty"`
	WarnVersion    string `json:"warn-version,omitempty"`
}

// podSecurityExemptions are never evaluated.
type podSecurityExemptions struct {
	Usernames      []string `json:"usernames,omitempty"`
	Namespaces     []string `json:"namespaces,omitempty"`
	RuntimeClasses []string `json:"runtimeClasses,omitempty"`
}

// parsePodSecurityConfig decodes (strictly, YAML or JSON), defaults and validates
// the configuration; no configuration is the all-privileged default.
func parsePodSecurityConfig(raw []byte) (*podSecurityConfig, error) {
	cfg := &podSecurityConfig{}
	if len(raw) > 0 {
		if err := decodePodSecurityConfig(raw, cfg); err != nil {
			return nil, err
		}
	}
	cfg.Defaults.setDefaults()
	p, err := cfg.Defaults.toPolicy()
	if err != nil {
		return nil, fmt.Errorf("PodSecurity configuration error: %w", err)
	}
	cfg.policy = p
	if errs := cfg.Exemptions.validate(); len(errs) > 0 {
		return nil, fmt.Errorf("PodSecurity invalid: %w", errs.ToAggregate())
	}
	return cfg, nil
}

// decodePodSecurityConfig checks kind and version as a scheme would, then decodes
// with unknown and duplicate fields refused.
func decodePodSecurityConfig(raw []byte, cfg *podSecurityConfig) error {
	js, strictErrs, err := podSecurityConfigJSON(raw)
	if err != nil {
		return err
	}
	var tm metav1.TypeMeta
	if err := json.Unmarshal(js, &tm); err != nil {
		return fmt.Errorf("couldn't get version/kind; json parse error: %v", err)
	}
	gv, gvErr := schema.ParseGroupVersion(tm.APIVersion)
	switch {
	case tm.Kind == "":
		//lint:ignore ST1005 upstream's wording
		return fmt.Errorf("Object 'Kind' is missing in '%s'", raw)
	case tm.APIVersion == "":
		//lint:ignore ST1005 upstream's wording
		return fmt.Errorf("Object 'apiVersion' is missing in '%s'", raw)
	case gvErr != nil || gv.Group != podSecurityConfigGroup || !podSecurityConfigVersions.Has(gv.Version) || tm.Kind != "PodSecurityConfiguration":
		return fmt.Errorf("no kind %q is registered for version %q", tm.Kind, tm.APIVersion)
	}
	errs, err := sigsjson.UnmarshalStrict(js, cfg)
	if err != nil {
		return err
	}
	if strictErrs = append(strictErrs, errs...); len(strictErrs) > 0 {
		return runtime.NewStrictDecodingError(strictErrs)
	}
	return nil
}

// podSecurityConfigJSON returns the configuration as JSON: JSON as it is, YAML
// converted, with its duplicate keys (lost in the conversion) as strict errors.
func podSecurityConfigJSON(raw []byte) ([]byte, []error, error) {
	if utilyaml.IsJSONBuffer(raw) {
		return raw, nil, nil
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, nil, err
	}
	if _, err := yaml.YAMLToJSONStrict(raw); err != nil {
		return js, []error{err}, nil
	}
	return js, nil, nil
}

// setDefaults fills unset modes with privileged and unset versions with latest.
func (d *podSecurityDefaults) setDefaults() {
	for _, level := range []*string{&d.Enforce, &d.Audit, &d.Warn} {
		if *level == "" {
			*level = string(psapi.LevelPrivileged)
		}
	}
	for _, version := range []*string{&d.EnforceVersion, &d.AuditVersion, &d.WarnVersion} {
		if *version == "" {
			*version = psapi.VersionLatest
		}
	}
}

// toPolicy parses the defaults; each bad field is one error named by its key.
func (d *podSecurityDefaults) toPolicy() (psapi.Policy, error) {
	var (
		p    psapi.Policy
		errs []error
	)
	level := func(name, value string, into *psapi.Level) {
		l, err := psapi.ParseLevel(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
		}
		*into = l
	}
	version := func(name, value string, into *psapi.Version) {
		v, err := psapi.ParseVersion(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %v", name, err))
		}
		*into = v
	}
	level("enforce", d.Enforce, &p.Enforce.Level)
	version("enforce-version", d.EnforceVersion, &p.Enforce.Version)
	level("audit", d.Audit, &p.Audit.Level)
	version("audit-version", d.AuditVersion, &p.Audit.Version)
	level("warn", d.Warn, &p.Warn.Level)
	version("warn-version", d.WarnVersion, &p.Warn.Version)
	return p, utilerrors.NewAggregate(errs)
}

// validate requires namespace names, runtime class names and non-empty user
// names, each listed once.
func (e *podSecurityExemptions) validate() field.ErrorList {
	var errs field.ErrorList
	exemptions := field.NewPath("exemptions")
	errs = append(errs, validateExemptionList(exemptions.Child("namespaces"), e.Namespaces, func(s string) []string {
		return apivalidation.ValidateNamespaceName(s, false)
	})...)
	errs = append(errs, validateExemptionList(exemptions.Child("runtimeClasses"), e.RuntimeClasses, func(s string) []string {
		return apivalidation.NameIsDNSSubdomain(s, false)
	})...)
	errs = append(errs, validateExemptionList(exemptions.Child("usernames"), e.Usernames, func(s string) []string {
		if s == "" {
			return []string{"username must not be empty"}
		}
		return nil
	})...)
	return errs
}

func validateExemptionList(path *field.Path, items []string, check func(string) []string) field.ErrorList {
	var errs field.ErrorList
	seen := sets.New[string]()
	for i, item := range items {
		if msgs := check(item); len(msgs) > 0 {
			errs = append(errs, field.Invalid(path.Index(i), item, strings.Join(msgs, ", ")))
			continue
		}
		if seen.Has(item) {
			errs = append(errs, field.Duplicate(path.Index(i), item))
			continue
		}
		seen.Insert(item)
	}
	return errs
}
