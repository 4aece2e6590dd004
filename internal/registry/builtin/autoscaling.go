package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// autoscaling returns the resources of its API group (not served yet).
func autoscaling() []*registry.Resource { return nil }
