package crdtable

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var fixedNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return fixedNow }

func crontab() *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "stable.example.com/v1",
		"kind":       "CronTab",
		"metadata": map[string]any{
			"name":              "my-cron",
			"creationTimestamp": "2026-05-01T11:55:00Z",
		},
		"spec": map[string]any{
			"cronSpec": "* * * * */5",
			"replicas": int64(3),
			"ratio":    1.5,
			"enabled":  true,
			"tags":     []any{"a", "b"},
			"nested":   map[string]any{"k": "v"},
			"lastRun":  "2026-05-01T10:00:00Z",
			"badDate":  "yesterday",
			"nothing":  nil,
		},
	}}
}

func col(name, typ, path string) apiextensionsv1.CustomResourceColumnDefinition {
	return apiextensionsv1.CustomResourceColumnDefinition{Name: name, Type: typ, JSONPath: path}
}

func TestTableCells(t *testing.T) {
	cases := []struct {
		name string
		col  apiextensionsv1.CustomResourceColumnDefinition
		want any
	}{
		{"string", col("Spec", "string", ".spec.cronSpec"), "* * * * */5"},
		{"string of an integer", col("R", "string", ".spec.replicas"), "3"},
		{"string of a list prints JSON", col("Tags", "string", ".spec.tags"), `["a","b"]`},
		{"string of a map prints JSON", col("N", "string", ".spec.nested"), `{"k":"v"}`},
		{"string of null prints as jsonpath does", col("N", "string", ".spec.nothing"), "<no value>"},
		{"integer", col("R", "integer", ".spec.replicas"), int64(3)},
		{"integer of a float truncates", col("R", "integer", ".spec.ratio"), int64(1)},
		{"integer of a string is nil", col("R", "integer", ".spec.cronSpec"), nil},
		{"number of an integer", col("R", "number", ".spec.replicas"), float64(3)},
		{"number", col("R", "number", ".spec.ratio"), 1.5},
		{"boolean", col("E", "boolean", ".spec.enabled"), true},
		{"boolean of a string is nil", col("E", "boolean", ".spec.cronSpec"), nil},
		{"date is an age", col("L", "date", ".spec.lastRun"), "120m"},
		{"unparsable date", col("L", "date", ".spec.badDate"), "<invalid>"},
		{"date of an integer is nil", col("L", "date", ".spec.replicas"), nil},
		{"missing path", col("M", "string", ".spec.missing"), nil},
		{"missing parent", col("M", "integer", ".status.replicas"), nil},
		{"unknown type", col("U", "object", ".spec.nested"), nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			table, err := newTable([]apiextensionsv1.CustomResourceColumnDefinition{tc.col}, clock)
			if err != nil {
				t.Fatal(err)
			}
			cells, err := table.Cells(crontab())
			if err != nil {
				t.Fatal(err)
			}
			want := []any{"my-cron", tc.want}
			if !reflect.DeepEqual(cells, want) {
				t.Errorf("cells = %#v, want %#v", cells, want)
			}
		})
	}
}

func TestTableColumns(t *testing.T) {
	nameCol := metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metaDoc["name"]}
	cases := []struct {
		name    string
		columns []apiextensionsv1.CustomResourceColumnDefinition
		want    []metav1.TableColumnDefinition
		cells   []any
		wantErr string
	}{
		{
			name:  "no columns serve Age",
			want:  []metav1.TableColumnDefinition{nameCol, {Name: "Age", Type: "date", Description: metaDoc["creationTimestamp"]}},
			cells: []any{"my-cron", "5m"},
		},
		{
			name: "definitions carry type, format, priority and description",
			columns: []apiextensionsv1.CustomResourceColumnDefinition{
				{Name: "Spec", Type: "string", Format: "byte", Priority: 1, Description: "the schedule", JSONPath: ".spec.cronSpec"},
				{Name: "Replicas", Type: "integer", JSONPath: ".spec.replicas"},
			},
			want: []metav1.TableColumnDefinition{
				nameCol,
				{Name: "Spec", Type: "string", Format: "byte", Priority: 1, Description: "the schedule"},
				{Name: "Replicas", Type: "integer", Description: "Custom resource definition column (in JSONPath format): .spec.replicas"},
			},
			cells: []any{"my-cron", "* * * * */5", int64(3)},
		},
		{
			name: "an unparsable path keeps the columns before it",
			columns: []apiextensionsv1.CustomResourceColumnDefinition{
				col("Replicas", "integer", ".spec.replicas"),
				col("Bad", "string", ".spec[.x"),
				col("After", "string", ".spec.cronSpec"),
			},
			want: []metav1.TableColumnDefinition{
				nameCol,
				{Name: "Replicas", Type: "integer", Description: "Custom resource definition column (in JSONPath format): .spec.replicas"},
			},
			cells:   []any{"my-cron", int64(3)},
			wantErr: `unrecognized column definition ".spec[.x"`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			table, err := newTable(tc.columns, clock)
			if gotErr := fmt.Sprint(err); (err != nil || tc.wantErr != "") && gotErr != tc.wantErr {
				t.Fatalf("error = %v, want %q", err, tc.wantErr)
			}
			if !reflect.DeepEqual(table.Columns, tc.want) {
				t.Errorf("columns = %#v\nwant %#v", table.Columns, tc.want)
			}
			cells, err := table.Cells(crontab())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cells, tc.cells) {
				t.Errorf("cells = %#v, want %#v", cells, tc.cells)
			}
		})
	}
}

func TestTableObjects(t *testing.T) {
	table, err := newTable(nil, clock)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		obj  *unstructured.Unstructured
		want []any
	}{
		{"no creation timestamp", &unstructured.Unstructured{Object: map[string]any{"metadata": map[string]any{"name": "x"}}}, []any{"x", nil}},
		{"empty object", &unstructured.Unstructured{Object: map[string]any{}}, []any{"", nil}},
		{"nil content", &unstructured.Unstructured{}, []any{"", nil}},
		{"metadata of a wrong type", &unstructured.Unstructured{Object: map[string]any{"metadata": "x"}}, []any{"", nil}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cells, err := table.Cells(tc.obj)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cells, tc.want) {
				t.Errorf("cells = %#v, want %#v", cells, tc.want)
			}
		})
	}
}

func TestTableTypedObject(t *testing.T) {
	table, err := Table([]apiextensionsv1.CustomResourceColumnDefinition{col("Kind", "string", ".kind")})
	if err != nil {
		t.Fatal(err)
	}
	obj := &metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{Kind: "Thing"}, ObjectMeta: metav1.ObjectMeta{Name: "typed"}}
	cells, err := table.Cells(obj)
	if err != nil {
		t.Fatal(err)
	}
	if want := []any{"typed", "Thing"}; !reflect.DeepEqual(cells, want) {
		t.Errorf("cells = %#v, want %#v", cells, want)
	}
}

func BenchmarkTableCells(b *testing.B) {
	table, err := Table([]apiextensionsv1.CustomResourceColumnDefinition{
		col("Spec", "string", ".spec.cronSpec"),
		col("Replicas", "integer", ".spec.replicas"),
		col("Enabled", "boolean", ".spec.enabled"),
		col("Age", "date", ".metadata.creationTimestamp"),
	})
	if err != nil {
		b.Fatal(err)
	}
	objs := make([]*unstructured.Unstructured, 1000)
	for i := range objs {
		objs[i] = crontab()
		objs[i].SetName(fmt.Sprintf("cron-%d", i))
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, o := range objs {
			if _, err := table.Cells(o); err != nil {
				b.Fatal(err)
			}
		}
	}
}
