package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// storageGroup returns the resources of its API group (not served yet).
func storageGroup() []*registry.Resource { return nil }
