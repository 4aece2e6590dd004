package server

import (
	"context"
	"net/http"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

// tokenReviewer authenticates a TokenReview's token as if it came as the bearer token
// of a request (without a client certificate), for the given audiences.
func tokenReviewer(a authn.Authenticator) func(ctx context.Context, token string, audiences []string) (*request.User, bool, error) {
	return func(ctx context.Context, token string, audiences []string) (*request.User, bool, error) {
		r, err := http.NewRequestWithContext(authn.WithAudiences(ctx, audiences), http.MethodPost, "/", nil)
		if err != nil {
			return nil, false, err
		}
		r.Header.Set("Authorization", "Bearer "+token)
		return a.AuthenticateRequest(r)
	}
}
