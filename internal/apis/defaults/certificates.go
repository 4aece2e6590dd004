package defaults

import "k8s.io/apimachinery/pkg/runtime"

// registerCertificates installs the defaulting functions of its API group (none yet).
func registerCertificates(*runtime.Scheme) {}
