// Package celrules compiles and runs the x-kubernetes-validations rules of a
// CustomResourceDefinition version's schema, as kube-apiserver does: Compile checks
// every rule when a CRD is written (compile errors, messageExpression, fieldPath,
// oldSelf placement, estimated cost) and returns a Validator; Validator.Validate
// runs the rules on a custom resource with self and oldSelf typed by the schema,
// under the per-request runtime cost budget, ratcheting unchanged values.
package celrules
