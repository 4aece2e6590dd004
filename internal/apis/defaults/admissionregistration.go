package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerAdmissionregistration installs the defaulting functions of its API group (none yet).
func registerAdmissionregistration(*runtime.Scheme) {}
