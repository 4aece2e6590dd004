package audit

import (
	"fmt"
	"log/slog"
	"os"
	"strings"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

// Level is how much of a request an event records.
type Level string

// The audit levels, from least to most.
const (
	LevelNone            Level = "None"
	LevelMetadata        Level = "Metadata"
	LevelRequest         Level = "Request"
	LevelRequestResponse Level = "RequestResponse"
)

var levelOrder = map[Level]int{LevelNone: 0, LevelMetadata: 1, LevelRequest: 2, LevelRequestResponse: 3}

// Less reports whether l records less than other.
func (l Level) Less(other Level) bool { return levelOrder[l] < levelOrder[other] }

// Stage is the point of a request's life an event describes.
type Stage string

// The audit stages.
const (
	StageRequestReceived  Stage = "RequestReceived"
	StageResponseStarted  Stage = "ResponseStarted"
	StageResponseComplete Stage = "ResponseComplete"
	StagePanic            Stage = "Panic"
)

// PolicyGroupVersion is the only policy version kube-apiserver v1.37 reads.
const PolicyGroupVersion = "audit.k8s.io/v1"

// Policy is an audit.k8s.io/v1 Policy: the first rule that matches a request sets its
// level; a request no rule matches is not audited.
type Policy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Rules             []PolicyRule `json:"rules"`
	OmitStages        []Stage      `json:"omitStages,omitempty"`
	OmitManagedFields bool         `json:"omitManagedFields,omitempty"`
}

// PolicyRule matches requests by user, group, verb, resource, namespace or
// non-resource URL; every field that is set must match.
type PolicyRule struct {
	Level             Level            `json:"level"`
	Users             []string         `json:"users,omitempty"`
	UserGroups        []string         `json:"userGroups,omitempty"`
	Verbs             []string         `json:"verbs,omitempty"`
	Resources         []GroupResources `json:"resources,omitempty"`
	Namespaces        []string         `json:"namespaces,omitempty"`
	NonResourceURLs   []string         `json:"nonResourceURLs,omitempty"`
	OmitStages        []Stage          `json:"omitStages,omitempty"`
	OmitManagedFields *bool            `json:"omitManagedFields,omitempty"`
}

// GroupResources names resources of one API group ("" core, "*" any).
type GroupResources struct {
	Group         string   `json:"group,omitempty"`
	Resources     []string `json:"resources,omitempty"`
	ResourceNames []string `json:"resourceNames,omitempty"`
}

// LoadPolicyFile reads and validates the policy of --audit-policy-file.
func LoadPolicyFile(path string) (*Policy, error) {
	if path == "" {
		return nil, fmt.Errorf("file path not specified")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("failed to read file path %q: %w", path, err)
	}
	p, err := ParsePolicy(data)
	if err != nil {
		return nil, fmt.Errorf("%v: from file %v", err, path)
	}
	return p, nil
}

// ParsePolicy decodes a YAML or JSON policy. Unknown or duplicate fields are tolerated
// with a warning, as upstream falls back from strict to lenient decoding; a wrong
// version, an invalid rule or an empty rule list is an error.
func ParsePolicy(data []byte) (*Policy, error) {
	p := &Policy{}
	if strictErr := yaml.UnmarshalStrict(data, p); strictErr != nil {
		p = &Policy{}
		if err := yaml.Unmarshal(data, p); err != nil {
			return nil, fmt.Errorf("failed decoding: %w", err)
		}
		slog.Warn("Audit policy contains errors, falling back to lenient decoding", "err", strictErr)
	}
	if p.Kind == "" {
		return nil, fmt.Errorf("failed decoding: Object 'Kind' is missing in '%s'", strings.TrimSpace(string(data)))
	}
	if p.APIVersion != PolicyGroupVersion || p.Kind != "Policy" {
		return nil, fmt.Errorf("failed decoding: no kind %q is registered for version %q", p.Kind, p.APIVersion)
	}
	if errs := validatePolicy(p); len(errs) > 0 {
		return nil, errs.ToAggregate()
	}
	if len(p.Rules) == 0 {
		return nil, fmt.Errorf("loaded illegal policy with 0 rules")
	}
	return p, nil
}

var (
	validLevels = []string{string(LevelNone), string(LevelMetadata), string(LevelRequest), string(LevelRequestResponse)}
	validStages = []string{string(StageRequestReceived), string(StageResponseStarted), string(StageResponseComplete), string(StagePanic)}
)

func validatePolicy(p *Policy) field.ErrorList {
	errs := validateStages(p.OmitStages, field.NewPath("omitStages"))
	for i, r := range p.Rules {
		path := field.NewPath("rules").Index(i)
		switch r.Level {
		case LevelNone, LevelMetadata, LevelRequest, LevelRequestResponse:
		case "":
			errs = append(errs, field.Required(path.Child("level"), ""))
		default:
			errs = append(errs, field.NotSupported(path.Child("level"), r.Level, validLevels))
		}
		for j, u := range r.NonResourceURLs {
			if u == "*" {
				continue
			}
			if !strings.HasPrefix(u, "/") {
				errs = append(errs, field.Invalid(path.Child("nonResourceURLs").Index(j), u, "non-resource URL rules must begin with a '/' character"))
			}
			if u != "" && strings.ContainsRune(u[:len(u)-1], '*') {
				errs = append(errs, field.Invalid(path.Child("nonResourceURLs").Index(j), u, "non-resource URL wildcards '*' must be the final character of the rule"))
			}
		}
		for _, gr := range r.Resources {
			if gr.Group != "" && gr.Group != "*" {
				if msgs := apivalidation.NameIsDNSSubdomain(gr.Group, false); len(msgs) > 0 {
					errs = append(errs, field.Invalid(path.Child("resources").Child("group"), gr.Group, strings.Join(msgs, ",")))
				}
			}
			if len(gr.ResourceNames) > 0 && len(gr.Resources) == 0 {
				errs = append(errs, field.Invalid(path.Child("resources").Child("resourceNames"), gr.ResourceNames, "using resourceNames requires at least one resource"))
			}
		}
		errs = append(errs, validateStages(r.OmitStages, path.Child("omitStages"))...)
		if len(r.NonResourceURLs) > 0 && (len(r.Resources) > 0 || len(r.Namespaces) > 0) {
			errs = append(errs, field.Invalid(path.Child("nonResourceURLs"), r.NonResourceURLs, "rules cannot apply to both regular resources and non-resource URLs"))
		}
	}
	return errs
}

func validateStages(stages []Stage, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, s := range stages {
		switch s {
		case StageRequestReceived, StageResponseStarted, StageResponseComplete, StagePanic:
		default:
			errs = append(errs, field.Invalid(path.Index(i), string(s), "allowed stages are "+strings.Join(validStages, ",")))
		}
	}
	return errs
}
