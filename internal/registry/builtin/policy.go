package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// policy returns the resources of its API group (not served yet).
func policy() []*registry.Resource { return nil }
