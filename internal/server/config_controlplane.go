package server

import (
	"fmt"

	"github.com/kapi-dev/kapi/internal/controlplane"
)

// ControlPlaneOptions choose the built-in controllers (internal/controlplane) that
// stand in for a kube-controller-manager when kapi runs alone.
type ControlPlaneOptions struct {
	// Controllers uses kube-controller-manager's --controllers syntax ("*", "name",
	// "-name"). nil means "*", as in the zero-config kapi command; an empty,
	// non-nil list turns every controller off, which is what to choose when a real
	// kube-controller-manager runs beside kapi.
	Controllers []string
}

// completeControlPlane rejects a --controllers value kube-controller-manager would
// reject (an unknown name).
func (o *ControlPlaneOptions) completeControlPlane() error {
	if _, err := controlplane.ParseSelection(o.Controllers); err != nil {
		return fmt.Errorf("--controllers: %w", err)
	}
	return nil
}
