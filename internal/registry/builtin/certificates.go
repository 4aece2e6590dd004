package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// certificates returns the resources of its API group (not served yet).
func certificates() []*registry.Resource { return nil }
