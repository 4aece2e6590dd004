package audit

import (
	"strings"
	"testing"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		doc     string
		wantErr string
		rules   int
	}{
		{name: "minimal", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n", rules: 1},
		{name: "json", doc: `{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None"},{"level":"RequestResponse"}]}`, rules: 2},
		{name: "unknown field is tolerated", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nbogus: 1\nrules:\n- level: Request\n", rules: 1},
		{name: "no rules", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\n", wantErr: "loaded illegal policy with 0 rules"},
		{name: "no kind", doc: "apiVersion: audit.k8s.io/v1\nrules:\n- level: Metadata\n", wantErr: "Object 'Kind' is missing"},
		{name: "old version", doc: "apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n", wantErr: `no kind "Policy" is registered for version "audit.k8s.io/v1beta1"`},
		{name: "missing level", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- verbs: [get]\n", wantErr: "rules[0].level: Required value"},
		{name: "bad level", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Everything\n", wantErr: `rules[0].level: Unsupported value: "Everything"`},
		{name: "bad omitStage", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [Sometimes]\nrules:\n- level: Metadata\n", wantErr: "omitStages[0]: Invalid value: \"Sometimes\": allowed stages are RequestReceived,ResponseStarted,ResponseComplete,Panic"},
		{name: "bad rule omitStage", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  omitStages: [Later]\n", wantErr: "rules[0].omitStages[0]"},
		{name: "url without slash", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  nonResourceURLs: [healthz]\n", wantErr: "non-resource URL rules must begin with a '/' character"},
		{name: "inner wildcard", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  nonResourceURLs: [/a*/b]\n", wantErr: "non-resource URL wildcards '*' must be the final character of the rule"},
		{name: "urls and resources", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  nonResourceURLs: [/healthz]\n  namespaces: [default]\n", wantErr: "rules cannot apply to both regular resources and non-resource URLs"},
		{name: "bad group", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{group: Not_A_Group}]\n", wantErr: "rules[0].resources.group: Invalid value"},
		{name: "names without resources", doc: "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  resources: [{resourceNames: [x]}]\n", wantErr: "using resourceNames requires at least one resource"},
		{name: "not yaml", doc: "{[", wantErr: "failed decoding"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePolicy([]byte(tt.doc))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Rules) != tt.rules {
				t.Errorf("%d rules, want %d", len(p.Rules), tt.rules)
			}
		})
	}
}

const matchPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
omitManagedFields: true
rules:
- level: None
  users: ["system:kube-proxy"]
  verbs: ["watch"]
- level: None
  userGroups: ["system:nodes"]
  resources: [{group: "", resources: ["events"]}]
- level: RequestResponse
  resources: [{group: "", resources: ["pods/log", "pods/status"]}]
  omitManagedFields: false
- level: Request
  resources: [{group: "apps", resources: ["*/scale"]}]
  omitStages: [ResponseStarted]
- level: Metadata
  resources: [{group: "", resources: ["secrets", "configmaps"], resourceNames: ["special"]}]
- level: Request
  resources: [{group: "*", resources: ["deployments/*"]}]
- level: RequestResponse
  namespaces: ["kube-system"]
- level: Metadata
  nonResourceURLs: ["/healthz*", "/version"]
- level: Request
  resources: [{group: "rbac.authorization.k8s.io"}]
`

func TestEvaluate(t *testing.T) {
	p, err := ParsePolicy([]byte(matchPolicy))
	if err != nil {
		t.Fatal(err)
	}
	e := NewEvaluator(p)
	proxy := &request.User{Name: "system:kube-proxy"}
	node := &request.User{Name: "system:node:n1", Groups: []string{"system:nodes", "system:authenticated"}}
	alice := &request.User{Name: "alice", Groups: []string{"system:authenticated"}}
	res := func(verb, group, resource, sub, ns, name string) *request.Info {
		return &request.Info{IsResourceRequest: true, Verb: verb, APIGroup: group, APIVersion: "v1", Resource: resource, Subresource: sub, Namespace: ns, Name: name}
	}
	nonRes := func(verb, path string) *request.Info { return &request.Info{Verb: verb, Path: path} }
	tests := []struct {
		name       string
		user       *request.User
		info       *request.Info
		level      Level
		omitMF     bool
		omitStages []Stage
	}{
		{name: "user and verb", user: proxy, info: res("watch", "", "endpoints", "", "", ""), level: LevelNone, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "user with other verb falls through", user: proxy, info: res("get", "", "endpoints", "", "", ""), level: LevelNone, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "group", user: node, info: res("create", "", "events", "", "default", ""), level: LevelNone, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "group not member", user: alice, info: res("create", "", "events", "", "default", ""), level: LevelNone},
		{name: "no user matches no user rule", user: nil, info: res("watch", "", "endpoints", "", "", ""), level: LevelNone},
		{name: "subresource exact", user: alice, info: res("get", "", "pods", "log", "default", "p"), level: LevelRequestResponse, omitMF: false, omitStages: []Stage{StageRequestReceived}},
		{name: "resource alone is not its subresource", user: alice, info: res("get", "", "pods", "", "default", "p"), level: LevelNone},
		{name: "star slash subresource", user: alice, info: res("update", "apps", "statefulsets", "scale", "default", "s"), level: LevelRequest, omitMF: true, omitStages: []Stage{StageRequestReceived, StageResponseStarted}},
		{name: "resource names", user: alice, info: res("get", "", "secrets", "", "default", "special"), level: LevelMetadata, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "resource names other name", user: alice, info: res("get", "", "secrets", "", "default", "other"), level: LevelNone},
		{name: "resource slash star", user: alice, info: res("get", "apps", "deployments", "status", "default", "d"), level: LevelRequest, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "resource slash star matches the resource", user: alice, info: res("list", "apps", "deployments", "", "default", ""), level: LevelRequest, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "namespace", user: alice, info: res("get", "", "services", "", "kube-system", "dns"), level: LevelRequestResponse, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "nonresource prefix", user: alice, info: nonRes("get", "/healthz/etcd"), level: LevelMetadata, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "nonresource exact", user: alice, info: nonRes("get", "/version"), level: LevelMetadata, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "nonresource other", user: alice, info: nonRes("get", "/versions"), level: LevelNone},
		{name: "group without resources", user: alice, info: res("create", "rbac.authorization.k8s.io", "roles", "", "default", ""), level: LevelRequest, omitMF: true, omitStages: []Stage{StageRequestReceived}},
		{name: "resource rule does not match nonresource", user: alice, info: nonRes("get", "/api"), level: LevelNone},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := e.Evaluate(tt.user, tt.info)
			if got.Level != tt.level {
				t.Fatalf("level %s, want %s", got.Level, tt.level)
			}
			if tt.level == LevelNone {
				return
			}
			if got.OmitManagedFields != tt.omitMF {
				t.Errorf("omitManagedFields %v, want %v", got.OmitManagedFields, tt.omitMF)
			}
			if len(got.OmitStages) != len(tt.omitStages) {
				t.Fatalf("omitStages %v, want %v", got.OmitStages, tt.omitStages)
			}
			for _, s := range tt.omitStages {
				if !got.Omits(s) {
					t.Errorf("omitStages %v lack %s", got.OmitStages, s)
				}
			}
		})
	}
}

func FuzzParsePolicy(f *testing.F) {
	f.Add([]byte(matchPolicy))
	f.Add([]byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n"))
	f.Add([]byte(`{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None","nonResourceURLs":["*"]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy(data)
		if err != nil {
			return
		}
		// A policy that parsed evaluates without panicking.
		e := NewEvaluator(p)
		e.Evaluate(nil, &request.Info{Verb: "get", Path: "/x"})
		e.Evaluate(&request.User{Name: "u", Groups: []string{"g"}}, &request.Info{IsResourceRequest: true, Verb: "get", Resource: "pods", Subresource: "log"})
	})
}
