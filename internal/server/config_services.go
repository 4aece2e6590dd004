package server

import "github.com/kapi-dev/kapi/internal/controllers/portalloc"

// ServicesOptions configure what Services are given.
type ServicesOptions struct {
	// ServiceNodePortRange is --service-node-port-range; the zero value means
	// upstream's default 30000-32767.
	ServiceNodePortRange portalloc.Range
}

// nodePortRange returns the configured range or the default.
func (o ServicesOptions) nodePortRange() portalloc.Range {
	if o.ServiceNodePortRange.Size == 0 {
		return portalloc.DefaultRange
	}
	return o.ServiceNodePortRange
}
