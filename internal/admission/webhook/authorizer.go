package webhook

import (
	"context"

	"github.com/kapi-dev/kapi/internal/admission/policy/celenv"
	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// AuthorizerFrom answers CEL authorizer checks with the server's authorizer for
// the request's user (the impersonated user when the request impersonates).
func AuthorizerFrom(a authz.Authorizer) AuthorizerFor {
	return func(ctx context.Context) celenv.AuthorizeFunc {
		user, _ := request.UserFrom(ctx)
		return func(c celenv.AuthzCheck) (string, string, error) {
			if a == nil || user == nil {
				return "deny", "no authorizer", nil
			}
			info := &request.Info{Verb: c.Verb, Path: c.Path}
			if c.Path == "" {
				info.IsResourceRequest = true
				info.APIGroup, info.Resource, info.Subresource = c.Group, c.Resource, c.Subresource
				info.Namespace, info.Name = c.Namespace, c.Name
			}
			d, reason, err := a.Authorize(ctx, authz.Attributes{User: user, Info: info})
			switch d {
			case authz.Allow:
				return "allow", reason, err
			case authz.Deny:
				return "deny", reason, err
			}
			return "", reason, err
		}
	}
}
