package crdtable

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sync"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"
	"k8s.io/client-go/util/jsonpath"

	"github.com/kapi-dev/kapi/internal/registry"
)

// metaDoc is ObjectMeta's API documentation, where the Name and Age column
// descriptions come from.
var metaDoc = metav1.ObjectMeta{}.SwaggerDoc()

// DefaultColumns are the columns of a CRD version without additionalPrinterColumns:
// upstream serves its creation timestamp as "Age".
func DefaultColumns() []apiextensionsv1.CustomResourceColumnDefinition {
	return []apiextensionsv1.CustomResourceColumnDefinition{{
		Name:        "Age",
		Type:        "date",
		Description: metaDoc["creationTimestamp"],
		JSONPath:    ".metadata.creationTimestamp",
	}}
}

// Table returns the Table of a CRD version with the given additionalPrinterColumns:
// Name, then one column per definition (DefaultColumns when there are none).
//
// When a column's JSONPath does not parse, Table returns the columns before it and
// an error; upstream logs the error and serves that partial table, and so should
// the caller.
func Table(columns []apiextensionsv1.CustomResourceColumnDefinition) (*registry.Table, error) {
	return newTable(columns, time.Now)
}

// column is one additionalPrinterColumn with its parsed path.
type column struct {
	typ string
	// mu guards path: client-go's JSONPath keeps range state while it evaluates.
	mu   sync.Mutex
	path *jsonpath.JSONPath
}

func newTable(columns []apiextensionsv1.CustomResourceColumnDefinition, now func() time.Time) (*registry.Table, error) {
	if len(columns) == 0 {
		columns = DefaultColumns()
	}
	defs := []metav1.TableColumnDefinition{{Name: "Name", Type: "string", Format: "name", Description: metaDoc["name"]}}
	var cols []*column
	var parseErr error
	for _, c := range columns {
		p := jsonpath.New(c.Name)
		if err := p.Parse("{" + c.JSONPath + "}"); err != nil {
			parseErr = fmt.Errorf("unrecognized column definition %q", c.JSONPath)
			break
		}
		p.AllowMissingKeys(true)
		desc := c.Description
		if desc == "" {
			desc = "Custom resource definition column (in JSONPath format): " + c.JSONPath
		}
		defs = append(defs, metav1.TableColumnDefinition{
			Name:        c.Name,
			Type:        c.Type,
			Format:      c.Format,
			Description: desc,
			Priority:    c.Priority,
		})
		cols = append(cols, &column{typ: c.Type, path: p})
	}
	cells := func(obj runtime.Object) ([]any, error) {
		acc, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		content, err := contentOf(obj)
		if err != nil {
			return nil, err
		}
		row := make([]any, 1, 1+len(cols))
		row[0] = acc.GetName()
		for _, c := range cols {
			row = append(row, c.cell(content, now))
		}
		return row, nil
	}
	return &registry.Table{Columns: defs, Cells: cells}, parseErr
}

// contentOf returns the JSON-shaped content of obj.
func contentOf(obj runtime.Object) (map[string]any, error) {
	if u, ok := obj.(runtime.Unstructured); ok {
		return u.UnstructuredContent(), nil
	}
	return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
}

// cell evaluates the column on one object: nil when the path finds nothing or the
// value does not fit the column type.
func (c *column) cell(content map[string]any, now func() time.Time) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	results, err := c.path.FindResults(content)
	if err != nil || len(results) == 0 || len(results[0]) == 0 {
		return nil
	}
	// Column paths are simple: the first result is the only one.
	value := results[0][0].Interface()
	if c.typ == "string" {
		var buf bytes.Buffer
		if err := c.path.PrintResults(&buf, []reflect.Value{reflect.ValueOf(value)}); err != nil {
			return nil
		}
		return buf.String()
	}
	return typedCell(c.typ, value, now)
}

// typedCell converts a JSON value to the cell of a non-string column type.
func typedCell(typ string, value any, now func() time.Time) any {
	switch typ {
	case "integer":
		switch v := value.(type) {
		case int64:
			return v
		case float64:
			return int64(v)
		case json.Number:
			if i, err := v.Int64(); err == nil {
				return i
			}
		}
	case "number":
		switch v := value.(type) {
		case int64:
			return float64(v)
		case float64:
			return v
		case json.Number:
			if f, err := v.Float64(); err == nil {
				return f
			}
		}
	case "boolean":
		if b, ok := value.(bool); ok {
			return b
		}
	case "date":
		if s, ok := value.(string); ok {
			return age(s, now)
		}
	}
	return nil
}

// age renders a timestamp as the time since then ("5m"), as upstream's date cells.
func age(s string, now func() time.Time) string {
	var t metav1.Time
	if err := t.UnmarshalQueryParameter(s); err != nil {
		return "<invalid>"
	}
	if t.IsZero() {
		return "<unknown>"
	}
	return duration.HumanDuration(now().Sub(t.Time))
}
