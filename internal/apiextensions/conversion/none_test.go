package conversion

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestNoneConvert(t *testing.T) {
	none := &apiextensionsv1.CustomResourceConversion{Strategy: apiextensionsv1.NoneConverter}
	cases := []struct {
		name    string
		conv    *apiextensionsv1.CustomResourceConversion
		objs    []*unstructured.Unstructured
		to      string
		want    []*unstructured.Unstructured
		wantErr string
	}{
		{
			name: "rewrites apiVersion only",
			conv: none,
			objs: []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:   "v2",
			want: []*unstructured.Unstructured{widget("v2", "a", "red")},
		},
		{
			name: "no conversion stanza is None",
			objs: []*unstructured.Unstructured{widget("v1", "a", "red"), widget("v2", "b", "blue")},
			to:   "v1",
			want: []*unstructured.Unstructured{widget("v1", "a", "red"), widget("v1", "b", "blue")},
		},
		{
			name: "to an unserved version the CRD defines",
			conv: none,
			objs: []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:   "v3",
			want: []*unstructured.Unstructured{widget("v3", "a", "red")},
		},
		{
			name: "no objects",
			conv: none,
			to:   "v2",
		},
		{
			name:    "unknown target version",
			conv:    none,
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			to:      "v4",
			want:    []*unstructured.Unstructured{widget("v1", "a", "red")},
			wantErr: "request to convert CR to an invalid group/version: stable.example.com/v4",
		},
		{
			name:    "object without apiVersion",
			conv:    none,
			objs:    []*unstructured.Unstructured{{Object: map[string]any{"kind": "Widget"}}},
			to:      "v2",
			want:    []*unstructured.Unstructured{{Object: map[string]any{"kind": "Widget"}}},
			wantErr: "request to convert CR from an invalid group/version: ",
		},
		{
			name:    "object with an unparsable apiVersion in a list",
			conv:    none,
			objs:    []*unstructured.Unstructured{widget("v1", "a", "red"), {Object: map[string]any{"apiVersion": "a/b/c"}}},
			to:      "v2",
			want:    []*unstructured.Unstructured{widget("v1", "a", "red"), {Object: map[string]any{"apiVersion": "a/b/c"}}},
			wantErr: "request to convert CR list failed, list index 1 has invalid group/version: ",
		},
		{
			name:    "nil content",
			conv:    none,
			objs:    []*unstructured.Unstructured{{}},
			to:      "v2",
			want:    []*unstructured.Unstructured{{}},
			wantErr: "request to convert CR from an invalid group/version: ",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(widgetCRD(tc.conv), Options{})
			if err != nil {
				t.Fatal(err)
			}
			err = c.Convert(context.Background(), tc.objs, tc.to)
			if fmt.Sprint(err) != fmt.Sprint(errorOrNil(tc.wantErr)) {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if !reflect.DeepEqual(tc.objs, tc.want) {
				t.Errorf("objects = %v\nwant %v", tc.objs, tc.want)
			}
		})
	}
}

func BenchmarkNoneConvert(b *testing.B) {
	c, err := New(widgetCRD(nil), Options{})
	if err != nil {
		b.Fatal(err)
	}
	objs := make([]*unstructured.Unstructured, 1000)
	for i := range objs {
		objs[i] = widget("v1", fmt.Sprintf("w-%d", i), "red")
	}
	versions := []string{"v2", "v1"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := c.Convert(context.Background(), objs, versions[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

func BenchmarkWebhookConvert(b *testing.B) {
	var k *hook
	k = startHook(b, converting(b, &k, nil))
	c, err := New(widgetCRD(webhookConversion(k.srv.URL+"/convert", k.caPEM)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	objs := make([]*unstructured.Unstructured, 1000)
	for i := range objs {
		objs[i] = widget("v1", fmt.Sprintf("w-%d", i), "red")
	}
	versions := []string{"v2", "v1"}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := c.Convert(context.Background(), objs, versions[i%2]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
