package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerNode installs the defaults of node.k8s.io/v1: upstream defines none for
// RuntimeClass, so there is nothing to register.
func registerNode(*runtime.Scheme) {}
