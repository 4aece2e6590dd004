package flowcontrolbootstrap

import (
	"encoding/json"
	"os"
	"sort"
	"testing"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/util/diff"
)

const referenceFile = "../../../../shared/reference/bootstrap/flowcontrol.json"

// TestBootstrapMatchesReference compares every computed object with the one
// kube-apiserver v1.37.2 created, field by field.
func TestBootstrapMatchesReference(t *testing.T) {
	data, err := os.ReadFile(referenceFile)
	if err != nil {
		t.Skipf("reference not available: %v", err)
	}
	var list struct {
		Items []json.RawMessage `json:"items"`
	}
	if err := json.Unmarshal(data, &list); err != nil {
		t.Fatal(err)
	}
	wantFS := map[string]*flowcontrolv1.FlowSchema{}
	wantPL := map[string]*flowcontrolv1.PriorityLevelConfiguration{}
	for _, raw := range list.Items {
		var kind struct{ Kind string }
		if err := json.Unmarshal(raw, &kind); err != nil {
			t.Fatal(err)
		}
		switch kind.Kind {
		case "FlowSchema":
			fs := &flowcontrolv1.FlowSchema{}
			if err := json.Unmarshal(raw, fs); err != nil {
				t.Fatal(err)
			}
			wantFS[fs.Name] = fs
		case "PriorityLevelConfiguration":
			pl := &flowcontrolv1.PriorityLevelConfiguration{}
			if err := json.Unmarshal(raw, pl); err != nil {
				t.Fatal(err)
			}
			wantPL[pl.Name] = pl
		default:
			t.Fatalf("unexpected kind %q", kind.Kind)
		}
	}
	gotFS := map[string]*flowcontrolv1.FlowSchema{}
	gotPL := map[string]*flowcontrolv1.PriorityLevelConfiguration{}
	for _, c := range []Configuration{Mandatory(), Suggested()} {
		for _, fs := range c.FlowSchemas {
			gotFS[fs.Name] = fs
		}
		for _, pl := range c.PriorityLevels {
			gotPL[pl.Name] = pl
		}
	}
	if a, b := keys(wantFS), keys(gotFS); !apiequality.Semantic.DeepEqual(a, b) {
		t.Errorf("flow schemas: want %v, got %v", a, b)
	}
	if a, b := keys(wantPL), keys(gotPL); !apiequality.Semantic.DeepEqual(a, b) {
		t.Errorf("priority levels: want %v, got %v", a, b)
	}
	for name, want := range wantFS {
		t.Run("FlowSchema/"+name, func(t *testing.T) {
			got := gotFS[name]
			if got == nil {
				t.Fatal("missing")
			}
			if !apiequality.Semantic.DeepEqual(want, got) {
				t.Errorf("differs from kube-apiserver:\n%s", diff.Diff(want, got))
			}
		})
	}
	for name, want := range wantPL {
		t.Run("PriorityLevelConfiguration/"+name, func(t *testing.T) {
			got := gotPL[name]
			if got == nil {
				t.Fatal("missing")
			}
			if !apiequality.Semantic.DeepEqual(want, got) {
				t.Errorf("differs from kube-apiserver:\n%s", diff.Diff(want, got))
			}
		})
	}
}

func keys[T any](m map[string]T) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
