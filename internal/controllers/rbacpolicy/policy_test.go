package rbacpolicy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	rbacv1 "k8s.io/api/rbac/v1"
)

// referenceDir holds what kube-apiserver v1.37 created at start (test data only).
const referenceDir = "../../../../shared/reference/bootstrap"

// comparable is the part of a policy object the reference pins down.
type comparable struct {
	Labels          map[string]string
	Annotations     map[string]string
	Rules           []rbacv1.PolicyRule
	AggregationRule *rbacv1.AggregationRule
	RoleRef         rbacv1.RoleRef
	Subjects        []rbacv1.Subject
}

// objectKey is kind/namespace/name.
type objectKey struct{ kind, namespace, name string }

func (p *Policy) comparables() map[objectKey]comparable {
	out := map[objectKey]comparable{}
	for _, o := range p.ClusterRoles {
		out[objectKey{"ClusterRole", "", o.Name}] = comparable{Labels: o.Labels, Annotations: o.Annotations, Rules: o.Rules, AggregationRule: o.AggregationRule}
	}
	for _, o := range p.ClusterRoleBindings {
		out[objectKey{"ClusterRoleBinding", "", o.Name}] = comparable{Labels: o.Labels, Annotations: o.Annotations, RoleRef: o.RoleRef, Subjects: o.Subjects}
	}
	for _, o := range p.Roles {
		out[objectKey{"Role", o.Namespace, o.Name}] = comparable{Labels: o.Labels, Annotations: o.Annotations, Rules: o.Rules}
	}
	for _, o := range p.RoleBindings {
		out[objectKey{"RoleBinding", o.Namespace, o.Name}] = comparable{Labels: o.Labels, Annotations: o.Annotations, RoleRef: o.RoleRef, Subjects: o.Subjects}
	}
	return out
}

// loadReference reads the reference lists into a Policy. Objects without the
// bootstrapping label (left over by the tests that ran on the reference server) are
// not part of the policy and are skipped.
func loadReference(t *testing.T) *Policy {
	t.Helper()
	p := &Policy{}
	for _, file := range []string{"rbac-cluster.json", "rbac-namespaced.json"} {
		raw, err := os.ReadFile(filepath.Join(referenceDir, file))
		if err != nil {
			t.Fatal(err)
		}
		var list struct{ Items []json.RawMessage }
		if err := json.Unmarshal(raw, &list); err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		for _, item := range list.Items {
			var head struct {
				Kind     string
				Metadata struct{ Labels map[string]string }
			}
			if err := json.Unmarshal(item, &head); err != nil {
				t.Fatal(err)
			}
			if head.Metadata.Labels[BootstrappingLabel] != bootstrappingValue {
				continue
			}
			var target any
			switch head.Kind {
			case "ClusterRole":
				p.ClusterRoles = append(p.ClusterRoles, rbacv1.ClusterRole{})
				target = &p.ClusterRoles[len(p.ClusterRoles)-1]
			case "ClusterRoleBinding":
				p.ClusterRoleBindings = append(p.ClusterRoleBindings, rbacv1.ClusterRoleBinding{})
				target = &p.ClusterRoleBindings[len(p.ClusterRoleBindings)-1]
			case "Role":
				p.Roles = append(p.Roles, rbacv1.Role{})
				target = &p.Roles[len(p.Roles)-1]
			case "RoleBinding":
				p.RoleBindings = append(p.RoleBindings, rbacv1.RoleBinding{})
				target = &p.RoleBindings[len(p.RoleBindings)-1]
			default:
				t.Fatalf("%s: unexpected kind %q", file, head.Kind)
			}
			if err := json.Unmarshal(item, target); err != nil {
				t.Fatal(err)
			}
		}
	}
	return p
}

// TestBootstrapMatchesReference compares the policy object by object with what
// kube-apiserver v1.37 creates.
func TestBootstrapMatchesReference(t *testing.T) {
	want := loadReference(t).comparables()
	got := Bootstrap().comparables()
	if len(want) < 140 {
		t.Fatalf("reference holds only %d bootstrap objects", len(want))
	}
	for key, w := range want {
		t.Run(key.kind+"/"+key.namespace+"/"+key.name, func(t *testing.T) {
			g, ok := got[key]
			if !ok {
				t.Fatalf("missing from the policy")
			}
			if diff := cmp.Diff(w, g, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("differs from the reference (-reference +policy):\n%s", diff)
			}
		})
	}
	for key := range got {
		if _, ok := want[key]; !ok {
			t.Errorf("%s %s/%s is not in the reference", key.kind, key.namespace, key.name)
		}
	}
}

// TestBootstrapRulesWellFormed checks what upstream's rule builder refuses: a rule
// without verbs, a resource rule without API groups, or one mixing URLs and resources.
func TestBootstrapRulesWellFormed(t *testing.T) {
	p := Bootstrap()
	check := func(owner string, rules []rbacv1.PolicyRule) {
		for i, r := range rules {
			switch {
			case len(r.Verbs) == 0:
				t.Errorf("%s rule %d has no verbs", owner, i)
			case len(r.NonResourceURLs) > 0 && (len(r.APIGroups)+len(r.Resources)+len(r.ResourceNames)) > 0:
				t.Errorf("%s rule %d mixes nonResourceURLs and resources", owner, i)
			case len(r.NonResourceURLs) == 0 && (len(r.Resources) == 0 || len(r.APIGroups) == 0):
				t.Errorf("%s rule %d needs apiGroups and resources", owner, i)
			}
		}
	}
	seen := map[objectKey]bool{}
	dup := func(k objectKey) {
		if seen[k] {
			t.Errorf("%v defined twice", k)
		}
		seen[k] = true
	}
	for _, r := range p.ClusterRoles {
		dup(objectKey{"ClusterRole", "", r.Name})
		check(r.Name, r.Rules)
	}
	for _, r := range p.Roles {
		dup(objectKey{"Role", r.Namespace, r.Name})
		check(r.Namespace+"/"+r.Name, r.Rules)
	}
	for _, b := range p.ClusterRoleBindings {
		dup(objectKey{"ClusterRoleBinding", "", b.Name})
	}
	for _, b := range p.RoleBindings {
		dup(objectKey{"RoleBinding", b.Namespace, b.Name})
	}
}

// TestBootstrapIsFresh checks that callers get their own copy to modify.
func TestBootstrapIsFresh(t *testing.T) {
	a := Bootstrap()
	a.ClusterRoles[0].Labels["x"] = "y"
	a.ClusterRoles[0].Rules[0].Verbs[0] = "mutated"
	b := Bootstrap()
	if b.ClusterRoles[0].Labels["x"] != "" || b.ClusterRoles[0].Rules[0].Verbs[0] == "mutated" {
		t.Fatalf("Bootstrap shares state between calls: %+v", b.ClusterRoles[0])
	}
}
