package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerBatch installs the defaulting functions of its API group (none yet).
func registerBatch(*runtime.Scheme) {}
