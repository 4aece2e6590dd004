package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerPolicy installs the defaulting functions of its API group (none yet).
func registerPolicy(*runtime.Scheme) {}
