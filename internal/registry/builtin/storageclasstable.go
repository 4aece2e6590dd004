package builtin

import (
	"fmt"

	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kapi-dev/kapi/internal/printers"
	"github.com/kapi-dev/kapi/internal/registry"
)

// storageClassTable prints StorageClasses as upstream: a list marks the effective
// default class with " (default)"; a single object is printed without it.
func storageClassTable() *registry.Table {
	t := printers.StorageClass()
	t.ListCells = func(objs []runtime.Object) ([][]any, error) {
		items := make([]storagev1.StorageClass, len(objs))
		for i, obj := range objs {
			sc, ok := obj.(*storagev1.StorageClass)
			if !ok || sc == nil {
				return nil, fmt.Errorf("the storageclasses table cannot print %T", obj)
			}
			items[i] = *sc
		}
		return printers.StorageClassListCells(items), nil
	}
	return t
}
