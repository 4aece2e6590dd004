package flowcontrol

import (
	"strings"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

// matches reports whether a request of u described by info is one fs selects.
func matches(fs *flowcontrolv1.FlowSchema, u *request.User, info *request.Info) bool {
	for i := range fs.Spec.Rules {
		if matchesRule(&fs.Spec.Rules[i], u, info) {
			return true
		}
	}
	return false
}

func matchesRule(rule *flowcontrolv1.PolicyRulesWithSubjects, u *request.User, info *request.Info) bool {
	subject := false
	for _, s := range rule.Subjects {
		if matchesSubject(s, u) {
			subject = true
			break
		}
	}
	if !subject {
		return false
	}
	if info.IsResourceRequest {
		for _, r := range rule.ResourceRules {
			if matchesResourceRule(r, info) {
				return true
			}
		}
		return false
	}
	for _, r := range rule.NonResourceRules {
		if matchesNonResourceRule(r, info) {
			return true
		}
	}
	return false
}

const serviceAccountPrefix = "system:serviceaccount:"

func matchesSubject(s flowcontrolv1.Subject, u *request.User) bool {
	switch s.Kind {
	case flowcontrolv1.SubjectKindUser:
		return s.User != nil && (s.User.Name == flowcontrolv1.NameAll || s.User.Name == u.Name)
	case flowcontrolv1.SubjectKindGroup:
		if s.Group == nil {
			return false
		}
		if s.Group.Name == flowcontrolv1.NameAll {
			return true
		}
		for _, g := range u.Groups {
			if g == s.Group.Name {
				return true
			}
		}
		return false
	case flowcontrolv1.SubjectKindServiceAccount:
		if s.ServiceAccount == nil {
			return false
		}
		rest, ok := strings.CutPrefix(u.Name, serviceAccountPrefix+s.ServiceAccount.Namespace+":")
		if !ok {
			return false
		}
		return s.ServiceAccount.Name == flowcontrolv1.NameAll || rest == s.ServiceAccount.Name
	}
	return false
}

func matchesResourceRule(r flowcontrolv1.ResourcePolicyRule, info *request.Info) bool {
	resource := info.Resource
	if info.Subresource != "" {
		resource += "/" + info.Subresource
	}
	if !listHas(r.Verbs, info.Verb, flowcontrolv1.VerbAll) ||
		!listHas(r.Resources, resource, flowcontrolv1.ResourceAll) ||
		!listHas(r.APIGroups, info.APIGroup, flowcontrolv1.APIGroupAll) {
		return false
	}
	if info.Namespace == "" {
		return r.ClusterScope
	}
	return listHas(r.Namespaces, info.Namespace, flowcontrolv1.NamespaceEvery)
}

func matchesNonResourceRule(r flowcontrolv1.NonResourcePolicyRule, info *request.Info) bool {
	if !listHas(r.Verbs, info.Verb, flowcontrolv1.VerbAll) {
		return false
	}
	for _, url := range r.NonResourceURLs {
		if url == flowcontrolv1.NonResourceAll || url == info.Path {
			return true
		}
		// "/apis/*" and "/healthz" both cover everything below them.
		prefix := strings.TrimSuffix(url, "*")
		if !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if strings.HasPrefix(info.Path, prefix) {
			return true
		}
	}
	return false
}

// listHas reports whether list holds x, a list of just the wildcard holding everything.
func listHas(list []string, x, wildcard string) bool {
	if len(list) == 1 && list[0] == wildcard {
		return true
	}
	for _, y := range list {
		if y == x {
			return true
		}
	}
	return false
}

// flowDistinguisher is the part of the flow identity fs's distinguisher method takes
// from the request.
func flowDistinguisher(fs *flowcontrolv1.FlowSchema, u *request.User, info *request.Info) string {
	if fs.Spec.DistinguisherMethod == nil {
		return ""
	}
	switch fs.Spec.DistinguisherMethod.Type {
	case flowcontrolv1.FlowDistinguisherMethodByUserType:
		return u.Name
	case flowcontrolv1.FlowDistinguisherMethodByNamespaceType:
		return info.Namespace
	}
	return ""
}
