package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// resourceGroup returns the resources of its API group (not served yet).
func resourceGroup() []*registry.Resource { return nil }
