package validation

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func TestNodeDeclaredFeatures(t *testing.T) {
	const badName = "must start with an UpperCamelCase segment, with subsequent segments separated by '/' (e.g., MyFeature or MyFeature/mySubFeature), and contain only alphanumeric characters and slashes"
	long := "A" + strings.Repeat("b", 253)
	type cause struct {
		typ    field.ErrorType
		field  string
		detail string
	}
	cases := []struct {
		name     string
		features []string
		want     []cause
	}{
		{name: "none"},
		{name: "valid sorted names", features: []string{"Alpha", "Beta/sub", "Beta/sub/Deeper", "Gamma2"}},
		{name: "lowercase first segment", features: []string{"alpha"},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[0]", `invalid feature name "alpha": ` + badName}}},
		{name: "empty segment", features: []string{"Alpha//beta"},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[0]", `invalid feature name "Alpha//beta": ` + badName}}},
		{name: "segment starting with a digit", features: []string{"Alpha/1x"},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[0]", `invalid feature name "Alpha/1x": ` + badName}}},
		{name: "too long", features: []string{long},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[0]", `invalid feature name "` + long + `": must be no more than 253 characters`}}},
		{name: "duplicate", features: []string{"Alpha", "Beta", "Beta"},
			want: []cause{{field.ErrorTypeDuplicate, "status.declaredFeatures[2]", ""}}},
		{name: "unsorted", features: []string{"Beta", "Alpha"},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[1]", "list must be sorted alphabetically"}}},
		{name: "uppercase sorts before lowercase", features: []string{"Alpha/b", "Alpha/C"},
			want: []cause{{field.ErrorTypeInvalid, "status.declaredFeatures[1]", "list must be sorted alphabetically"}}},
		{name: "bad name and unsorted, in list order", features: []string{"Zeta", "bad", "Alpha"},
			want: []cause{
				{field.ErrorTypeInvalid, "status.declaredFeatures[1]", `invalid feature name "bad": ` + badName},
				{field.ErrorTypeInvalid, "status.declaredFeatures[2]", "list must be sorted alphabetically"},
			}},
	}
	for _, tc := range cases {
		node := func() *corev1.Node {
			return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1", ResourceVersion: "1"},
				Status: corev1.NodeStatus{DeclaredFeatures: tc.features}}
		}
		for _, v := range []struct {
			name     string
			validate func() field.ErrorList
		}{
			{"create", func() field.ErrorList { return ValidateNode(node()) }},
			{"update", func() field.ErrorList { return ValidateNodeUpdate(node(), node()) }},
			{"status update", func() field.ErrorList { return ValidateNodeStatusUpdate(node(), node()) }},
		} {
			t.Run(tc.name+"/"+v.name, func(t *testing.T) {
				got := v.validate()
				if len(got) != len(tc.want) {
					t.Fatalf("got %d causes %q, want %d", len(got), got, len(tc.want))
				}
				for i, w := range tc.want {
					if got[i].Type != w.typ || got[i].Field != w.field || got[i].Detail != w.detail {
						t.Errorf("cause %d: got %s %s %q, want %s %s %q", i, got[i].Type, got[i].Field, got[i].Detail, w.typ, w.field, w.detail)
					}
				}
			})
		}
	}
}
