package crdtable

import (
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestSelectableFields(t *testing.T) {
	paths := func(ps ...string) []apiextensionsv1.SelectableField {
		out := make([]apiextensionsv1.SelectableField, len(ps))
		for i, p := range ps {
			out[i].JSONPath = p
		}
		return out
	}
	cases := []struct {
		name  string
		paths []apiextensionsv1.SelectableField
		obj   runtime.Object
		want  fields.Set
	}{
		{
			name:  "string, integer and boolean values",
			paths: paths(".spec.cronSpec", ".spec.replicas", ".spec.enabled"),
			obj:   crontab(),
			want:  fields.Set{"spec.cronSpec": "* * * * */5", "spec.replicas": "3", "spec.enabled": "true"},
		},
		{
			name:  "missing and null fields are empty",
			paths: paths(".spec.missing", ".status.phase", ".spec.nothing"),
			obj:   crontab(),
			want:  fields.Set{"spec.missing": "", "status.phase": "", "spec.nothing": ""},
		},
		{
			name: "no selectable fields",
			obj:  crontab(),
			want: fields.Set{},
		},
		{
			name:  "an empty object lists every key",
			paths: paths(".spec.color"),
			obj:   &unstructured.Unstructured{},
			want:  fields.Set{"spec.color": ""},
		},
		{
			name:  "an unparsable path is empty",
			paths: paths(".spec[.x"),
			obj:   crontab(),
			want:  fields.Set{"spec[.x": ""},
		},
		{
			name:  "a typed object has no custom fields",
			paths: paths(".spec.color"),
			obj:   &metav1.PartialObjectMetadata{},
			want:  fields.Set{"spec.color": ""},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := SelectableFields(tc.paths)(tc.obj)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("fields = %v, want %v", got, tc.want)
			}
		})
	}
}
