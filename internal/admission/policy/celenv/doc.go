// Package celenv compiles and runs the CEL expressions of admission: webhook
// matchConditions and ValidatingAdmissionPolicy matchConditions, variables,
// validations and audit annotations. Every expression sees object, oldObject,
// request, params, namespaceObject, variables and authorizer, as upstream's.
package celenv
