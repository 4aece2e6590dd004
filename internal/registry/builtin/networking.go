package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// networking returns the resources of its API group (not served yet).
func networking() []*registry.Resource { return nil }
