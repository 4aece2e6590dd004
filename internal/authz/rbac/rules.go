package rbac

import (
	"fmt"
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// Request is what a rule is matched against: a resource request (group, resource,
// subresource, name) or a non-resource request (path).
type Request struct {
	Verb            string
	ResourceRequest bool
	APIGroup        string
	Resource        string
	Subresource     string
	Name            string
	Path            string
}

// RuleAllows reports whether rule grants req.
func RuleAllows(rule *rbacv1.PolicyRule, req *Request) bool {
	if !matchesOrAll(rule.Verbs, req.Verb, rbacv1.VerbAll) {
		return false
	}
	if !req.ResourceRequest {
		return nonResourceURLMatches(rule.NonResourceURLs, req.Path)
	}
	return matchesOrAll(rule.APIGroups, req.APIGroup, rbacv1.APIGroupAll) &&
		resourceMatches(rule.Resources, req.Resource, req.Subresource) &&
		(len(rule.ResourceNames) == 0 || slices.Contains(rule.ResourceNames, req.Name))
}

func matchesOrAll(set []string, v, all string) bool {
	for _, s := range set {
		if s == all || s == v {
			return true
		}
	}
	return false
}

// resourceMatches accepts "*", the resource (or "resource/subresource") itself, and
// "*/subresource" for any resource's subresource.
func resourceMatches(rules []string, resource, subresource string) bool {
	combined := resource
	if subresource != "" {
		combined += "/" + subresource
	}
	for _, r := range rules {
		switch {
		case r == rbacv1.ResourceAll, r == combined:
			return true
		case subresource != "" && strings.HasPrefix(r, "*/") && r[2:] == subresource:
			return true
		}
	}
	return false
}

// nonResourceURLMatches accepts "*", the path itself, and a prefix ending in "*".
func nonResourceURLMatches(urls []string, path string) bool {
	for _, u := range urls {
		if u == rbacv1.NonResourceAll || u == path {
			return true
		}
		if strings.HasSuffix(u, "*") && strings.HasPrefix(path, strings.TrimSuffix(u, "*")) {
			return true
		}
	}
	return false
}

// Covers reports whether owner grants everything servant does, and what it does not:
// servant's rules broken down into one verb, group, resource and name each.
func Covers(owner, servant []rbacv1.PolicyRule) (bool, []rbacv1.PolicyRule) {
	var missing []rbacv1.PolicyRule
	for _, rule := range servant {
		for _, sub := range breakdown(rule) {
			if !slices.ContainsFunc(owner, func(o rbacv1.PolicyRule) bool { return ruleCovers(&o, &sub) }) {
				missing = append(missing, sub)
			}
		}
	}
	return len(missing) == 0, missing
}

// breakdown splits a rule into rules of one verb, group, resource and name (or one
// verb and URL for non-resource rules).
func breakdown(r rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				if len(r.ResourceNames) == 0 {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}})
					continue
				}
				for _, n := range r.ResourceNames {
					out = append(out, rbacv1.PolicyRule{APIGroups: []string{g}, Resources: []string{res}, Verbs: []string{v}, ResourceNames: []string{n}})
				}
			}
		}
	}
	for _, u := range r.NonResourceURLs {
		for _, v := range r.Verbs {
			out = append(out, rbacv1.PolicyRule{NonResourceURLs: []string{u}, Verbs: []string{v}})
		}
	}
	return out
}

// ruleCovers reports whether owner grants all of sub, a broken-down rule.
func ruleCovers(owner, sub *rbacv1.PolicyRule) bool {
	return hasAllOrWildcard(owner.Verbs, sub.Verbs, rbacv1.VerbAll) &&
		hasAllOrWildcard(owner.APIGroups, sub.APIGroups, rbacv1.APIGroupAll) &&
		resourcesCover(owner.Resources, sub.Resources) &&
		urlsCover(owner.NonResourceURLs, sub.NonResourceURLs) &&
		namesCover(owner.ResourceNames, sub.ResourceNames)
}

func hasAllOrWildcard(set, want []string, all string) bool {
	return slices.Contains(set, all) || containsAll(set, want)
}

func containsAll(set, want []string) bool {
	for _, w := range want {
		if !slices.Contains(set, w) {
			return false
		}
	}
	return true
}

func resourcesCover(set, want []string) bool {
	if slices.Contains(set, rbacv1.ResourceAll) {
		return true
	}
	for _, w := range want {
		if slices.Contains(set, w) {
			continue
		}
		_, sub, ok := strings.Cut(w, "/")
		if !ok || !slices.Contains(set, "*/"+sub) {
			return false
		}
	}
	return true
}

func urlsCover(set, want []string) bool {
	for _, w := range want {
		if !slices.ContainsFunc(set, func(o string) bool {
			return o == w || (strings.HasSuffix(o, "*") && strings.HasPrefix(w, strings.TrimRight(o, "*")))
		}) {
			return false
		}
	}
	return true
}

func namesCover(set, want []string) bool {
	if len(want) == 0 {
		return len(set) == 0
	}
	return len(set) == 0 || containsAll(set, want)
}

// compact merges rules of one group, resource and at most one name into one rule per
// resource with all their verbs, to keep escalation messages short.
func compact(rules []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	type simple struct {
		group, resource string
		hasName         bool
		name            string
	}
	var out []rbacv1.PolicyRule
	merged := map[simple]int{}
	for _, r := range rules {
		if len(r.NonResourceURLs) > 0 || len(r.ResourceNames) > 1 || len(r.APIGroups) != 1 || len(r.Resources) != 1 {
			out = append(out, r)
			continue
		}
		k := simple{group: r.APIGroups[0], resource: r.Resources[0], hasName: len(r.ResourceNames) == 1}
		if k.hasName {
			k.name = r.ResourceNames[0]
		}
		if i, ok := merged[k]; ok {
			out[i].Verbs = append(out[i].Verbs, r.Verbs...)
			continue
		}
		merged[k] = len(out)
		out = append(out, *r.DeepCopy())
	}
	return out
}

// compactString renders a rule as upstream's escalation messages do.
func compactString(r rbacv1.PolicyRule) string {
	var parts []string
	add := func(name string, v []string) {
		if len(v) > 0 {
			parts = append(parts, fmt.Sprintf("%s:%q", name, v))
		}
	}
	add("APIGroups", r.APIGroups)
	add("Resources", r.Resources)
	add("NonResourceURLs", r.NonResourceURLs)
	add("ResourceNames", r.ResourceNames)
	add("Verbs", r.Verbs)
	return "{" + strings.Join(parts, ", ") + "}"
}
