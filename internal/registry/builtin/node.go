package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// node returns the resources of its API group (not served yet).
func node() []*registry.Resource { return nil }
