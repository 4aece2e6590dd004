package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerStoragemigration installs the defaulting functions of its API group (none yet).
func registerStoragemigration(*runtime.Scheme) {}
