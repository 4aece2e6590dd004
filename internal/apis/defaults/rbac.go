package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerRbac installs the defaulting functions of its API group (none yet).
func registerRbac(*runtime.Scheme) {}
