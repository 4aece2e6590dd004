package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerNode installs the defaulting functions of its API group (none yet).
func registerNode(*runtime.Scheme) {}
