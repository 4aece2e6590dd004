package builtin

import "github.com/kapi-dev/kapi/internal/registry"

// flowcontrol returns the resources of its API group (not served yet).
func flowcontrol() []*registry.Resource { return nil }
