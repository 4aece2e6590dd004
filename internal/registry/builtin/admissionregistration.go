package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// admissionregistration returns the resources of its API group (not served yet).
func admissionregistration() []*registry.Resource { return nil }
