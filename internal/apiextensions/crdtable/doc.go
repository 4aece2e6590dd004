// Package crdtable holds the per-version helpers a served custom resource needs
// beyond storage: the `kubectl get` Table built from a CRD version's
// additionalPrinterColumns, the field set behind its selectableFields, and the
// replica paths of its scale subresource.
//
// Everything here works on *unstructured.Unstructured objects and behaves as
// kube-apiserver v1.37's custom resource handler does: JSONPath columns evaluated
// with client-go's jsonpath (missing keys give nil cells), the "Age" default column
// when a version defines none, selectable field values printed with fmt.Sprint, and
// scale replicas read as int64 with apimachinery's unstructured helpers.
package crdtable
