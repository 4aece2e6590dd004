package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerPolicy installs the defaulting of policy/v1: upstream defaults nothing in
// PodDisruptionBudgets, so there is nothing to install.
func registerPolicy(*runtime.Scheme) {}
