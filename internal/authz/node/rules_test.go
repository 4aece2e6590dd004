package node

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	rbacv1 "k8s.io/api/rbac/v1"
)

// referenceRoles is what kube-apiserver v1.37 created at start (test data only).
const referenceRoles = "../../../../shared/reference/bootstrap/rbac-cluster.json"

// TestNodeRulesMatchReference compares NodeRules with the rules of the system:node
// ClusterRole the reference server bootstrapped, in order.
func TestNodeRulesMatchReference(t *testing.T) {
	raw, err := os.ReadFile(filepath.FromSlash(referenceRoles))
	if err != nil {
		t.Fatal(err)
	}
	var list struct {
		Items []struct {
			Kind     string
			Metadata struct{ Name string }
			Rules    []rbacv1.PolicyRule
		}
	}
	if err := json.Unmarshal(raw, &list); err != nil {
		t.Fatal(err)
	}
	var want []rbacv1.PolicyRule
	found := false
	for _, it := range list.Items {
		if it.Kind == "ClusterRole" && it.Metadata.Name == "system:node" {
			want, found = it.Rules, true
		}
	}
	if !found {
		t.Fatal("reference has no system:node ClusterRole")
	}
	if diff := cmp.Diff(want, NodeRules()); diff != "" {
		t.Errorf("NodeRules() differs from the reference system:node role (-want +got):\n%s", diff)
	}
}
