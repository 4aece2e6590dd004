// Package schema applies a CustomResourceDefinition version's structural
// openAPIV3Schema to custom-resource objects, and checks the schema itself.
//
// Objects are unstructured JSON values (map[string]any, []any, string, int64,
// float64, bool, nil) as apimachinery's unstructured JSON decoder produces
// them. On the request path the lead calls, in upstream kube-apiserver order:
//
//	decode → Prune (unknown fields, non-nullable nulls) → CoerceMetadata →
//	Default → ... → Validate / ValidateUpdate / ValidateStatusUpdate
//
// and on reads from storage: Prune → CoerceMetadata(dropInvalid=true) → Default.
// The registry validates the root's TypeMeta and ObjectMeta and the scale
// paths itself; CEL rules (x-kubernetes-validations) live in celrules.
//
// At CRD write time, StructuralInitError, ValidateStructural and
// ValidateDefaults report the errors kube-apiserver's structural-schema checks
// report, in that order of precedence.
//
// Value validation runs kube-openapi's validator (the one kube-apiserver uses)
// on a spec.Schema converted here, so messages match upstream byte for byte.
package schema
