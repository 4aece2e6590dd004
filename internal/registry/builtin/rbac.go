package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// rbac returns the resources of its API group (not served yet).
func rbac() []*registry.Resource { return nil }
