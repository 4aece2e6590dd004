package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// storagemigration returns the resources of its API group (not served yet).
func storagemigration() []*registry.Resource { return nil }
