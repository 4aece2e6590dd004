package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// scheduling returns the resources of its API group (not served yet).
func scheduling() []*registry.Resource { return nil }
