package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerStoragemigration installs the defaults of storagemigration.k8s.io/v1:
// upstream defaults nothing in it.
func registerStoragemigration(*runtime.Scheme) {}
