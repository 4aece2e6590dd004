package printers

import (
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/duration"

	"github.com/kapi-dev/kapi/internal/registry"
)

// Placeholders kubectl users recognise; upstream prints exactly these strings.
const (
	none    = "<none>"
	unknown = "<unknown>"
	unset   = "<unset>"
)

// Shared column descriptions, spelled as upstream spells them.
const (
	descContainers = "Names of each container in the template."
	descImages     = "Images referenced by each container in the template."
	descReadyPods  = "Number of the pod with ready state"
)

// clock returns the current time; tests pass a fixed one so ages are stable.
type clock func() time.Time

// metaDoc is the API documentation of ObjectMeta, the source of the Name and Age
// column descriptions of every table.
func metaDoc(field string) string { return metav1.ObjectMeta{}.SwaggerDoc()[field] }

// nameColumn is the first column of (almost) every table.
func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: "string", Format: "name", Description: metaDoc("name")}
}

// ageColumn shows the time since creation in the HumanDuration form ("5m", "3d").
func ageColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: "string", Description: metaDoc("creationTimestamp")}
}

// column builds a normal (priority 0) column.
func column(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: desc}
}

// wide builds a column shown only with `-o wide`.
func wide(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Priority: 1, Description: desc}
}

// typed adapts a printer for one storage type to registry.Table's runtime.Object
// signature, for printers that cannot fail.
func typed[T any, PT interface {
	*T
	runtime.Object
}](resource string, columns []metav1.TableColumnDefinition, cells func(PT) []any) *registry.Table {
	return typedErr(resource, columns, func(o PT) ([]any, error) { return cells(o), nil })
}

// typedErr is typed for printers that can fail. T is the struct type so that a nil
// pointer is caught here and reported as an error instead of panicking inside the
// printer.
func typedErr[T any, PT interface {
	*T
	runtime.Object
}](resource string, columns []metav1.TableColumnDefinition, cells func(PT) ([]any, error)) *registry.Table {
	return &registry.Table{
		Columns: columns,
		Cells: func(obj runtime.Object) ([]any, error) {
			o, ok := obj.(PT)
			if !ok {
				return nil, fmt.Errorf("printers: the %s table cannot print %T", resource, obj)
			}
			if o == nil {
				return nil, fmt.Errorf("printers: the %s table got a nil object", resource)
			}
			return cells(o)
		},
	}
}

// Default is the table of resources without a printer (limitranges among the
// built-ins, and custom resources without additionalPrinterColumns): the name and
// the creation time in RFC 3339, as upstream's default table convertor gives.
func Default() *registry.Table {
	return &registry.Table{
		Columns: []metav1.TableColumnDefinition{
			nameColumn(),
			{Name: "Created At", Type: "date", Description: metaDoc("creationTimestamp")},
		},
		Cells: func(obj runtime.Object) ([]any, error) {
			acc, err := meta.Accessor(obj)
			if err != nil {
				return nil, fmt.Errorf("printers: default table: %w", err)
			}
			return []any{acc.GetName(), acc.GetCreationTimestamp().UTC().Format(time.RFC3339)}, nil
		},
	}
}

// since renders the time elapsed from t, or "<unknown>" for an unset time.
func since(now clock, t metav1.Time) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now().Sub(t.Time))
}

// sinceMicro is since for MicroTime fields (event times).
func sinceMicro(now clock, t metav1.MicroTime) string {
	if t.IsZero() {
		return unknown
	}
	return duration.HumanDuration(now().Sub(t.Time))
}

// containerCells joins the container names and images of a pod template with
// commas, the Containers and Images cells of the workload tables.
func containerCells(containers []corev1.Container) (names, images string) {
	n := make([]string, len(containers))
	im := make([]string, len(containers))
	for i := range containers {
		n[i], im[i] = containers[i].Name, containers[i].Image
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// deref returns *p, or def for a nil pointer (replicas before defaulting, a released
// lease's holder).
func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
