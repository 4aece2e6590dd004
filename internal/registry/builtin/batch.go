package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// batch returns the resources of its API group (not served yet).
func batch() []*registry.Resource { return nil }
