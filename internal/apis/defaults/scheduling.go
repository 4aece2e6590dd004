package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerScheduling installs the defaulting functions of its API group (none yet).
func registerScheduling(*runtime.Scheme) {}
