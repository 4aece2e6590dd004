package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerFlowcontrol installs the defaulting functions of its API group (none yet).
func registerFlowcontrol(*runtime.Scheme) {}
