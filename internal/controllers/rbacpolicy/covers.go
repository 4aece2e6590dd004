package rbacpolicy

import (
	"slices"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
)

// uncovered returns the single-verb, single-resource pieces of want that no rule of
// have grants, in want's order: what reconciliation must add to a stored role. A
// stored rule covers a piece as upstream's RBAC does (wildcards, "*/sub"
// subresources, "prefix*" URLs, resourceNames narrowing).
func uncovered(have, want []rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var missing []rbacv1.PolicyRule
	for _, w := range want {
		for _, piece := range atoms(w) {
			if !slices.ContainsFunc(have, func(h rbacv1.PolicyRule) bool { return covers(h, piece) }) {
				missing = append(missing, piece)
			}
		}
	}
	return missing
}

// atoms splits a rule into rules of one verb on one group/resource(/name) or one URL.
func atoms(r rbacv1.PolicyRule) []rbacv1.PolicyRule {
	var out []rbacv1.PolicyRule
	one := func(s string) []string { return []string{s} }
	for _, g := range r.APIGroups {
		for _, res := range r.Resources {
			for _, v := range r.Verbs {
				if len(r.ResourceNames) == 0 {
					out = append(out, rbacv1.PolicyRule{Verbs: one(v), APIGroups: one(g), Resources: one(res)})
					continue
				}
				for _, n := range r.ResourceNames {
					out = append(out, rbacv1.PolicyRule{Verbs: one(v), APIGroups: one(g), Resources: one(res), ResourceNames: one(n)})
				}
			}
		}
	}
	for _, u := range r.NonResourceURLs {
		for _, v := range r.Verbs {
			out = append(out, rbacv1.PolicyRule{Verbs: one(v), NonResourceURLs: one(u)})
		}
	}
	return out
}

// covers reports whether owner grants everything piece grants.
func covers(owner, piece rbacv1.PolicyRule) bool {
	names := len(owner.ResourceNames) == 0 || (len(piece.ResourceNames) > 0 && containsAll(owner.ResourceNames, piece.ResourceNames))
	return names &&
		(slices.Contains(owner.Verbs, rbacv1.VerbAll) || containsAll(owner.Verbs, piece.Verbs)) &&
		(slices.Contains(owner.APIGroups, rbacv1.APIGroupAll) || containsAll(owner.APIGroups, piece.APIGroups)) &&
		resourcesCovered(owner.Resources, piece.Resources) &&
		urlsCovered(owner.NonResourceURLs, piece.NonResourceURLs)
}

func containsAll(set, items []string) bool {
	for _, it := range items {
		if !slices.Contains(set, it) {
			return false
		}
	}
	return true
}

// resourcesCovered: "*" covers all, "*/status" covers every status subresource.
func resourcesCovered(owner, want []string) bool {
	if slices.Contains(owner, rbacv1.ResourceAll) {
		return true
	}
	for _, r := range want {
		if slices.Contains(owner, r) {
			continue
		}
		_, sub, ok := strings.Cut(r, "/")
		if !ok || !slices.Contains(owner, "*/"+sub) {
			return false
		}
	}
	return true
}

// urlsCovered: a URL ending in "*" covers every URL starting with what precedes it.
func urlsCovered(owner, want []string) bool {
	for _, u := range want {
		if !slices.ContainsFunc(owner, func(o string) bool {
			return o == u || (strings.HasSuffix(o, "*") && strings.HasPrefix(u, strings.TrimRight(o, "*")))
		}) {
			return false
		}
	}
	return true
}
