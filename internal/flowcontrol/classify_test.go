package flowcontrol

import (
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"

	"github.com/kapi-dev/kapi/internal/controllers/flowcontrolbootstrap"
	"github.com/kapi-dev/kapi/internal/request"
)

func TestClassifyBootstrap(t *testing.T) {
	c := New(Config{ServerConcurrencyLimit: 600})
	var all []*flowcontrolv1.PriorityLevelConfiguration
	for _, cfg := range []flowcontrolbootstrap.Configuration{flowcontrolbootstrap.Mandatory(), flowcontrolbootstrap.Suggested()} {
		for _, fs := range cfg.FlowSchemas {
			c.fss[fs.Name] = fs
		}
		all = append(all, cfg.PriorityLevels...)
	}
	for _, pl := range all {
		c.pls[pl.Name] = pl
	}
	c.recompute()
	authed := func(name string, groups ...string) *request.User {
		return &request.User{Name: name, Groups: append(groups, request.AllAuthenticated)}
	}
	res := func(verb, group, resource, sub, ns string) *request.Info {
		return &request.Info{IsResourceRequest: true, Verb: verb, APIGroup: group, Resource: resource, Subresource: sub, Namespace: ns}
	}
	nonRes := func(verb, path string) *request.Info { return &request.Info{Verb: verb, Path: path} }
	tests := []struct {
		name       string
		user       *request.User
		info       *request.Info
		wantSchema string
		wantLevel  string
	}{
		{"system:masters is exempt", authed("admin", "system:masters"), res("list", "", "pods", "", "default"), "exempt", "exempt"},
		{"probe by anyone", &request.User{Name: "system:anonymous", Groups: []string{request.AllUnauthenticated}}, nonRes("get", "/readyz"), "probes", "exempt"},
		{"probe path below /healthz", authed("alice"), nonRes("get", "/healthz/etcd"), "probes", "exempt"},
		{"probe with another verb", authed("alice"), nonRes("post", "/healthz"), "global-default", "global-default"},
		{"node lease", authed("system:node:n1", "system:nodes"), res("update", "coordination.k8s.io", "leases", "", "kube-node-lease"), "system-node-high", "node-high"},
		{"node status", authed("system:node:n1", "system:nodes"), res("patch", "", "nodes", "status", ""), "system-node-high", "node-high"},
		{"node other", authed("system:node:n1", "system:nodes"), res("get", "", "pods", "", "default"), "system-nodes", "system"},
		{"scheduler leader election", authed("system:kube-scheduler"), res("get", "coordination.k8s.io", "leases", "", "kube-system"), "system-leader-election", "leader-election"},
		{"scheduler lease watch is not election", authed("system:kube-scheduler"), res("watch", "coordination.k8s.io", "leases", "", "kube-system"), "kube-scheduler", "workload-high"},
		{"kube-system service account", authed("system:serviceaccount:kube-system:foo", "system:serviceaccounts"), res("list", "apps", "deployments", "", ""), "kube-system-service-accounts", "workload-high"},
		{"other service account", authed("system:serviceaccount:default:foo", "system:serviceaccounts"), res("list", "apps", "deployments", "", "default"), "service-accounts", "workload-low"},
		{"service account prefix is not namespace", authed("system:serviceaccount:kube-systemx:foo", "system:serviceaccounts"), res("get", "", "pods", "", "x"), "service-accounts", "workload-low"},
		{"ordinary user", authed("alice"), res("get", "", "pods", "", "default"), "global-default", "global-default"},
		{"user without the usual groups", &request.User{Name: "odd"}, res("get", "", "pods", "", "default"), "catch-all", "catch-all"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs, ref := c.classify(tt.user, tt.info)
			if fs.Name != tt.wantSchema || ref.level.name != tt.wantLevel {
				t.Errorf("classified as %s/%s, want %s/%s", fs.Name, ref.level.name, tt.wantSchema, tt.wantLevel)
			}
		})
	}
}

func TestResourceRuleMatching(t *testing.T) {
	rule := flowcontrolv1.ResourcePolicyRule{Verbs: []string{"get", "list"}, APIGroups: []string{"apps"},
		Resources: []string{"deployments", "deployments/scale"}, Namespaces: []string{"team-a"}}
	tests := []struct {
		name         string
		info         request.Info
		clusterScope bool
		want         bool
	}{
		{"all match", request.Info{Verb: "get", APIGroup: "apps", Resource: "deployments", Namespace: "team-a"}, false, true},
		{"subresource listed", request.Info{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "scale", Namespace: "team-a"}, false, true},
		{"subresource not listed", request.Info{Verb: "get", APIGroup: "apps", Resource: "deployments", Subresource: "status", Namespace: "team-a"}, false, false},
		{"verb", request.Info{Verb: "delete", APIGroup: "apps", Resource: "deployments", Namespace: "team-a"}, false, false},
		{"group", request.Info{Verb: "get", APIGroup: "extensions", Resource: "deployments", Namespace: "team-a"}, false, false},
		{"namespace", request.Info{Verb: "get", APIGroup: "apps", Resource: "deployments", Namespace: "team-b"}, false, false},
		{"cluster scope not allowed", request.Info{Verb: "list", APIGroup: "apps", Resource: "deployments"}, false, false},
		{"cluster scope allowed", request.Info{Verb: "list", APIGroup: "apps", Resource: "deployments"}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := rule
			r.ClusterScope = tt.clusterScope
			if got := matchesResourceRule(r, &tt.info); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSubjectMatching(t *testing.T) {
	sa := func(ns, name string) flowcontrolv1.Subject {
		return flowcontrolv1.Subject{Kind: flowcontrolv1.SubjectKindServiceAccount, ServiceAccount: &flowcontrolv1.ServiceAccountSubject{Namespace: ns, Name: name}}
	}
	tests := []struct {
		name    string
		subject flowcontrolv1.Subject
		user    request.User
		want    bool
	}{
		{"user by name", flowcontrolv1.Subject{Kind: "User", User: &flowcontrolv1.UserSubject{Name: "bob"}}, request.User{Name: "bob"}, true},
		{"user other", flowcontrolv1.Subject{Kind: "User", User: &flowcontrolv1.UserSubject{Name: "bob"}}, request.User{Name: "alice"}, false},
		{"user wildcard", flowcontrolv1.Subject{Kind: "User", User: &flowcontrolv1.UserSubject{Name: "*"}}, request.User{Name: "alice"}, true},
		{"user nil", flowcontrolv1.Subject{Kind: "User"}, request.User{Name: "alice"}, false},
		{"group member", flowcontrolv1.Subject{Kind: "Group", Group: &flowcontrolv1.GroupSubject{Name: "devs"}}, request.User{Name: "a", Groups: []string{"x", "devs"}}, true},
		{"group wildcard", flowcontrolv1.Subject{Kind: "Group", Group: &flowcontrolv1.GroupSubject{Name: "*"}}, request.User{Name: "a"}, true},
		{"group not member", flowcontrolv1.Subject{Kind: "Group", Group: &flowcontrolv1.GroupSubject{Name: "devs"}}, request.User{Name: "a"}, false},
		{"service account exact", sa("ns", "sa"), request.User{Name: "system:serviceaccount:ns:sa"}, true},
		{"service account other name", sa("ns", "sa"), request.User{Name: "system:serviceaccount:ns:sb"}, false},
		{"service account any in namespace", sa("ns", "*"), request.User{Name: "system:serviceaccount:ns:sb"}, true},
		{"service account other namespace", sa("ns", "*"), request.User{Name: "system:serviceaccount:nsx:sb"}, false},
		{"not a service account", sa("ns", "*"), request.User{Name: "ns:sb"}, false},
		{"unknown kind", flowcontrolv1.Subject{Kind: "Robot"}, request.User{Name: "a"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := matchesSubject(tt.subject, &tt.user); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNonResourceURLMatching(t *testing.T) {
	tests := []struct {
		name string
		urls []string
		path string
		want bool
	}{
		{"exact", []string{"/version"}, "/version", true},
		{"everything", []string{"*"}, "/anything", true},
		{"prefix star", []string{"/apis/*"}, "/apis/apps/v1", true},
		{"implicit subtree", []string{"/healthz"}, "/healthz/ping", true},
		{"sibling is not subtree", []string{"/healthz"}, "/healthzx", false},
		{"other", []string{"/version"}, "/metrics", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := flowcontrolv1.NonResourcePolicyRule{Verbs: []string{"*"}, NonResourceURLs: tt.urls}
			if got := matchesNonResourceRule(r, &request.Info{Verb: "get", Path: tt.path}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
