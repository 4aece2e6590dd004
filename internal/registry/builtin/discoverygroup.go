package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// discoveryGroup returns the resources of its API group (not served yet).
func discoveryGroup() []*registry.Resource { return nil }
