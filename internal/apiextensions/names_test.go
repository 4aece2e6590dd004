package apiextensions

import (
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func namedCRD(name, group string, names, accepted apiextensionsv1.CustomResourceDefinitionNames) *apiextensionsv1.CustomResourceDefinition {
	return &apiextensionsv1.CustomResourceDefinition{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec:       apiextensionsv1.CustomResourceDefinitionSpec{Group: group, Names: names},
		Status:     apiextensionsv1.CustomResourceDefinitionStatus{AcceptedNames: accepted},
	}
}

func TestAcceptNames(t *testing.T) {
	foo := apiextensionsv1.CustomResourceDefinitionNames{Plural: "foos", Singular: "foo", Kind: "Foo", ListKind: "FooList", ShortNames: []string{"f"}}
	other := namedCRD("foos.a.io", "a.io", foo, foo)
	cases := []struct {
		name       string
		crd        *apiextensionsv1.CustomResourceDefinition
		others     []*apiextensionsv1.CustomResourceDefinition
		wantStatus apiextensionsv1.ConditionStatus
		wantReason string
		wantMsg    string
		wantPlural string
	}{
		{"fresh names", namedCRD("foos.a.io", "a.io", foo, apiextensionsv1.CustomResourceDefinitionNames{}), nil,
			"True", "NoConflicts", "no conflicts found", "foos"},
		{"other group does not conflict", namedCRD("foos.b.io", "b.io", foo, apiextensionsv1.CustomResourceDefinitionNames{}), []*apiextensionsv1.CustomResourceDefinition{other},
			"True", "NoConflicts", "no conflicts found", "foos"},
		{"plural taken", namedCRD("foos2.a.io", "a.io", apiextensionsv1.CustomResourceDefinitionNames{Plural: "foos", Singular: "foo2", Kind: "Foo2", ListKind: "Foo2List"}, apiextensionsv1.CustomResourceDefinitionNames{}),
			[]*apiextensionsv1.CustomResourceDefinition{other}, "False", "PluralConflict", `"foos" is already in use`, ""},
		{"kind taken", namedCRD("bars.a.io", "a.io", apiextensionsv1.CustomResourceDefinitionNames{Plural: "bars", Singular: "bar", Kind: "Foo", ListKind: "BarList"}, apiextensionsv1.CustomResourceDefinitionNames{}),
			[]*apiextensionsv1.CustomResourceDefinition{other}, "False", "KindConflict", `"Foo" is already in use`, "bars"},
		{"short name taken", namedCRD("bars.a.io", "a.io", apiextensionsv1.CustomResourceDefinitionNames{Plural: "bars", Singular: "bar", Kind: "Bar", ListKind: "BarList", ShortNames: []string{"f"}}, apiextensionsv1.CustomResourceDefinitionNames{}),
			[]*apiextensionsv1.CustomResourceDefinition{other}, "False", "ShortNamesConflict", `"f" is already in use`, "bars"},
		{"own accepted names stay", namedCRD("foos.a.io", "a.io", foo, foo), []*apiextensionsv1.CustomResourceDefinition{other},
			"True", "NoConflicts", "no conflicts found", "foos"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			names, cond := acceptNames(tc.crd, tc.others)
			if cond.Status != tc.wantStatus || cond.Reason != tc.wantReason || cond.Message != tc.wantMsg {
				t.Errorf("condition %s %s %q, want %s %s %q", cond.Status, cond.Reason, cond.Message, tc.wantStatus, tc.wantReason, tc.wantMsg)
			}
			if names.Plural != tc.wantPlural {
				t.Errorf("accepted plural %q, want %q", names.Plural, tc.wantPlural)
			}
		})
	}
}

func TestPrepareForDelete(t *testing.T) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if !PrepareForDelete(crd) {
		t.Fatal("first delete must keep the CRD")
	}
	if !hasFinalizer(crd) || !isTrue(crd, apiextensionsv1.Terminating) {
		t.Fatalf("finalizer %v conditions %v", crd.Finalizers, crd.Status.Conditions)
	}
	if !PrepareForDelete(crd) {
		t.Error("a CRD with the cleanup finalizer must stay")
	}
	crd.Finalizers = nil
	if PrepareForDelete(crd) {
		t.Error("once the finalizer is gone the CRD goes")
	}
}
