package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerDiscoveryGroup installs the defaulting functions of its API group (none yet).
func registerDiscoveryGroup(*runtime.Scheme) {}
