package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerAutoscaling installs the defaulting functions of its API group (none yet).
func registerAutoscaling(*runtime.Scheme) {}
