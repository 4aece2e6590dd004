package server

import (
	"fmt"

	"github.com/kapi-dev/kapi/internal/authz"
)

// newAuthorizer builds the authorizers of --authorization-mode, in order.
func (s *Server) newAuthorizer() (authz.Authorizer, error) {
	modes := s.cfg.AuthorizationModes
	if len(modes) == 0 {
		return authz.Union{authz.Privileged{}, authz.Authenticated{}}, nil
	}
	var u authz.Union
	for _, m := range modes {
		switch m {
		case "AlwaysAllow":
			u = append(u, authz.AlwaysAllow{})
		case "AlwaysDeny":
			u = append(u, authz.AlwaysDeny{})
		case "RBAC", "Node", "Webhook":
			// Until these land, they behave as the interim policy.
			u = append(u, authz.Privileged{}, authz.Authenticated{})
		default:
			return nil, fmt.Errorf("unknown authorization mode %q", m)
		}
	}
	return u, nil
}
