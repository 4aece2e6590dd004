package audit

import (
	"slices"
	"strings"

	"github.com/kapi-dev/kapi/internal/request"
)

// RequestConfig is what the policy decided for one request.
type RequestConfig struct {
	Level             Level
	OmitStages        []Stage
	OmitManagedFields bool
}

// Omits reports whether events of stage s are not sent.
func (c RequestConfig) Omits(s Stage) bool { return slices.Contains(c.OmitStages, s) }

// Evaluator decides a request's RequestConfig from a Policy. It is immutable and safe
// for concurrent use.
type Evaluator struct {
	policy Policy
	// ruleStages[i] is rule i's omitted stages joined with the policy's.
	ruleStages [][]Stage
}

// NewEvaluator prepares p for evaluation; p is not retained.
func NewEvaluator(p *Policy) *Evaluator {
	e := &Evaluator{policy: *p}
	e.policy.Rules = slices.Clone(p.Rules)
	for _, r := range p.Rules {
		stages := slices.Clone(p.OmitStages)
		for _, s := range r.OmitStages {
			if !slices.Contains(stages, s) {
				stages = append(stages, s)
			}
		}
		e.ruleStages = append(e.ruleStages, stages)
	}
	return e
}

// Evaluate returns the config of the first rule matching the request of user u (nil
// when authentication failed) described by info; no match means LevelNone.
func (e *Evaluator) Evaluate(u *request.User, info *request.Info) RequestConfig {
	for i := range e.policy.Rules {
		r := &e.policy.Rules[i]
		if ruleMatches(r, u, info) {
			omitMF := e.policy.OmitManagedFields
			if r.OmitManagedFields != nil {
				omitMF = *r.OmitManagedFields
			}
			return RequestConfig{Level: r.Level, OmitStages: e.ruleStages[i], OmitManagedFields: omitMF}
		}
	}
	return RequestConfig{Level: LevelNone, OmitStages: e.policy.OmitStages, OmitManagedFields: e.policy.OmitManagedFields}
}

func ruleMatches(r *PolicyRule, u *request.User, info *request.Info) bool {
	if len(r.Users) > 0 && (u == nil || !slices.Contains(r.Users, u.Name)) {
		return false
	}
	if len(r.UserGroups) > 0 {
		if u == nil || !slices.ContainsFunc(u.Groups, func(g string) bool { return slices.Contains(r.UserGroups, g) }) {
			return false
		}
	}
	if len(r.Verbs) > 0 && !slices.Contains(r.Verbs, info.Verb) {
		return false
	}
	if len(r.Namespaces) > 0 || len(r.Resources) > 0 {
		return ruleMatchesResource(r, info)
	}
	if len(r.NonResourceURLs) > 0 {
		if info.IsResourceRequest {
			return false
		}
		return slices.ContainsFunc(r.NonResourceURLs, func(spec string) bool { return pathMatches(info.Path, spec) })
	}
	return true
}

// pathMatches matches a non-resource URL rule: "*", an exact path, or a prefix ending
// in "*".
func pathMatches(path, spec string) bool {
	if spec == "*" || spec == path {
		return true
	}
	return strings.HasSuffix(spec, "*") && strings.HasPrefix(path, strings.TrimRight(spec, "*"))
}

func ruleMatchesResource(r *PolicyRule, info *request.Info) bool {
	if !info.IsResourceRequest {
		return false
	}
	// Cluster-scoped resources match the namespace "".
	if len(r.Namespaces) > 0 && !slices.Contains(r.Namespaces, info.Namespace) {
		return false
	}
	if len(r.Resources) == 0 {
		return true
	}
	combined := info.Resource
	if info.Subresource != "" {
		combined = info.Resource + "/" + info.Subresource
	}
	for _, gr := range r.Resources {
		if gr.Group != info.APIGroup && gr.Group != "*" {
			continue
		}
		if len(gr.Resources) == 0 {
			return true
		}
		if len(gr.ResourceNames) > 0 && !slices.Contains(gr.ResourceNames, info.Name) {
			continue
		}
		for _, res := range gr.Resources {
			switch {
			case res == combined || res == "*":
				return true
			case info.Subresource != "" && strings.HasPrefix(res, "*/") && info.Subresource == res[2:]:
				return true
			case strings.HasSuffix(res, "/*") && info.Resource == strings.TrimSuffix(res, "/*"):
				return true
			}
		}
	}
	return false
}
