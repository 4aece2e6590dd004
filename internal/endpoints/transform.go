package endpoints

import (
	"fmt"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/registry"
)

// respondObject writes one stored object in the negotiated form.
func (e *endpoint) respondObject(w http.ResponseWriter, r *http.Request, code int, out output, obj runtime.Object) {
	res, err := e.transformObject(r, out, obj)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.api.writeObject(w, code, out, res)
}

// transformObject converts a stored object to what out asks for.
func (e *endpoint) transformObject(r *http.Request, out output, obj runtime.Object) (runtime.Object, error) {
	switch out.as {
	case asTable:
		return e.table(r, out, []runtime.Object{obj}, nil, true)
	case asMetadata:
		return partialMetadata(obj, out.asVersion)
	case asMetadataList:
		return nil, notAcceptableTransform(out.as)
	}
	return e.toServed(obj)
}

func notAcceptableTransform(as string) error {
	return statusError(http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable,
		fmt.Sprintf("only the following media types are accepted: application/json;as=%s;g=meta.k8s.io;v=v1 is not supported here", as))
}

// respondList writes a stored list in the negotiated form.
func (e *endpoint) respondList(w http.ResponseWriter, r *http.Request, out output, list runtime.Object) {
	var res runtime.Object
	var err error
	switch out.as {
	case asTable:
		var items []runtime.Object
		if items, err = meta.ExtractList(list); err == nil {
			lm, _ := meta.ListAccessor(list)
			res, err = e.table(r, out, items, lm, true)
		}
	case asMetadataList:
		res, err = partialMetadataList(list, out.asVersion)
	case asMetadata:
		err = notAcceptableTransform(out.as)
	default:
		res, err = e.listToServed(list)
	}
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.api.writeObject(w, http.StatusOK, out, res)
}

func partialMetadata(obj runtime.Object, version string) (*metav1.PartialObjectMetadata, error) {
	acc, err := meta.Accessor(obj)
	if err != nil {
		return nil, err
	}
	m := &metav1.PartialObjectMetadata{ObjectMeta: *metaOf(acc)}
	m.SetGroupVersionKind(metav1.SchemeGroupVersion.WithKind("PartialObjectMetadata"))
	if version == "v1beta1" {
		m.APIVersion = "meta.k8s.io/v1beta1"
	}
	return m, nil
}

func metaOf(acc metav1.Object) *metav1.ObjectMeta {
	if om, ok := acc.(*metav1.ObjectMeta); ok {
		return om.DeepCopy()
	}
	return &metav1.ObjectMeta{
		Name: acc.GetName(), GenerateName: acc.GetGenerateName(), Namespace: acc.GetNamespace(),
		UID: acc.GetUID(), ResourceVersion: acc.GetResourceVersion(), Generation: acc.GetGeneration(),
		CreationTimestamp: acc.GetCreationTimestamp(), DeletionTimestamp: acc.GetDeletionTimestamp(),
		DeletionGracePeriodSeconds: acc.GetDeletionGracePeriodSeconds(), Labels: acc.GetLabels(),
		Annotations: acc.GetAnnotations(), OwnerReferences: acc.GetOwnerReferences(),
		Finalizers: acc.GetFinalizers(), ManagedFields: acc.GetManagedFields(),
	}
}

func partialMetadataList(list runtime.Object, version string) (*metav1.PartialObjectMetadataList, error) {
	items, err := meta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	lm, err := meta.ListAccessor(list)
	if err != nil {
		return nil, err
	}
	out := &metav1.PartialObjectMetadataList{Items: make([]metav1.PartialObjectMetadata, 0, len(items))}
	out.ResourceVersion, out.Continue, out.RemainingItemCount = lm.GetResourceVersion(), lm.GetContinue(), lm.GetRemainingItemCount()
	for _, item := range items {
		m, err := partialMetadata(item, version)
		if err != nil {
			return nil, err
		}
		out.Items = append(out.Items, *m)
	}
	out.SetGroupVersionKind(metav1.SchemeGroupVersion.WithKind("PartialObjectMetadataList"))
	if version == "v1beta1" {
		out.APIVersion = "meta.k8s.io/v1beta1"
	}
	return out, nil
}

// defaultTable prints NAME and AGE for resources without their own printer.
var defaultTable = registry.Table{
	Columns: []metav1.TableColumnDefinition{
		{Name: "Name", Type: "string", Format: "name", Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]},
		{Name: "Created At", Type: "date", Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
	},
	Cells: func(obj runtime.Object) ([]any, error) {
		acc, err := meta.Accessor(obj)
		if err != nil {
			return nil, err
		}
		return []any{acc.GetName(), acc.GetCreationTimestamp().UTC().Format(time.RFC3339)}, nil
	},
}

// table renders objects as a metav1.Table; headers=false omits column definitions
// (watch events after the first).
func (e *endpoint) table(r *http.Request, out output, objs []runtime.Object, lm metav1.ListInterface, headers bool) (*metav1.Table, error) {
	var opts metav1.TableOptions
	if err := e.api.decodeParams(r, &opts); err != nil {
		return nil, badRequest(err)
	}
	def := e.res.Table
	if def == nil {
		def = &defaultTable
	}
	t := &metav1.Table{Rows: make([]metav1.TableRow, 0, len(objs))}
	if headers && !opts.NoHeaders {
		t.ColumnDefinitions = def.Columns
	}
	var listCells [][]any
	if lm != nil && def.ListCells != nil {
		var err error
		if listCells, err = def.ListCells(objs); err != nil {
			return nil, apierrors.NewInternalError(err)
		}
	}
	for i, obj := range objs {
		var cells []any
		if listCells != nil {
			cells = listCells[i]
		} else {
			var err error
			if cells, err = def.Cells(obj); err != nil {
				return nil, apierrors.NewInternalError(err)
			}
		}
		row := metav1.TableRow{Cells: cells}
		switch opts.IncludeObject {
		case metav1.IncludeNone:
		case metav1.IncludeObject:
			served, err := e.toServed(obj)
			if err != nil {
				return nil, err
			}
			row.Object.Object = served
		default:
			m, err := partialMetadata(obj, out.asVersion)
			if err != nil {
				return nil, err
			}
			row.Object.Object = m
		}
		t.Rows = append(t.Rows, row)
	}
	if lm != nil {
		t.ResourceVersion, t.Continue, t.RemainingItemCount = lm.GetResourceVersion(), lm.GetContinue(), lm.GetRemainingItemCount()
	} else if len(objs) == 1 {
		if acc, err := meta.Accessor(objs[0]); err == nil {
			t.ResourceVersion = acc.GetResourceVersion()
		}
	}
	t.SetGroupVersionKind(metav1.SchemeGroupVersion.WithKind("Table"))
	if out.asVersion == "v1beta1" {
		t.APIVersion = "meta.k8s.io/v1beta1"
	}
	return t, nil
}
