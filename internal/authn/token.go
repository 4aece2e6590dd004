package authn

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/kapi-dev/kapi/internal/request"
)

// TokenAuthenticator identifies the user of a bearer token. As for Authenticator, ok
// is false when the token is not of this kind and err is set when it is but fails.
type TokenAuthenticator interface {
	AuthenticateToken(ctx context.Context, token string) (u *request.User, ok bool, err error)
}

// TokenFunc adapts a function to TokenAuthenticator.
type TokenFunc func(ctx context.Context, token string) (*request.User, bool, error)

// AuthenticateToken implements TokenAuthenticator.
func (f TokenFunc) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	return f(ctx, token)
}

// BearerTokens authenticates the "Authorization: Bearer" token of a request with each
// token authenticator in turn: the first that authenticates wins; when none does, the
// errors of those that failed are returned together.
type BearerTokens []TokenAuthenticator

// AuthenticateRequest implements Authenticator.
func (b BearerTokens) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	token, ok := BearerToken(r)
	if !ok {
		return nil, false, nil
	}
	return b.AuthenticateToken(r.Context(), token)
}

// AuthenticateToken implements TokenAuthenticator.
func (b BearerTokens) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	var errs []error
	for _, a := range b {
		u, ok, err := a.AuthenticateToken(ctx, token)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if ok {
			return u, true, nil
		}
	}
	return nil, false, errors.Join(errs...)
}

// AudienceAgnostic wraps a token authenticator whose tokens carry no audience: such a
// token is only good for the API itself, so when the caller asks for other audiences
// (a TokenReview's spec.audiences) that do not include one of apiAudiences, the token
// gets no opinion, as upstream's audience-agnostic wrapper does.
func AudienceAgnostic(apiAudiences []string, a TokenAuthenticator) TokenAuthenticator {
	return TokenFunc(func(ctx context.Context, token string) (*request.User, bool, error) {
		if !audiencesAllowed(ctx, apiAudiences) {
			return nil, false, nil
		}
		return a.AuthenticateToken(ctx, token)
	})
}

// AudienceAgnosticRequest is AudienceAgnostic for request authenticators (the front
// proxy and the token file).
func AudienceAgnosticRequest(apiAudiences []string, a Authenticator) Authenticator {
	return requestFunc(func(r *http.Request) (*request.User, bool, error) {
		if !audiencesAllowed(r.Context(), apiAudiences) {
			return nil, false, nil
		}
		return a.AuthenticateRequest(r)
	})
}

// audiencesAllowed reports whether the audiences asked for in ctx (if any) meet the
// API audiences.
func audiencesAllowed(ctx context.Context, apiAudiences []string) bool {
	wanted := AudiencesFrom(ctx)
	if len(wanted) == 0 {
		return true
	}
	for _, w := range wanted {
		if slices.Contains(apiAudiences, w) {
			return true
		}
	}
	return false
}

type requestFunc func(r *http.Request) (*request.User, bool, error)

func (f requestFunc) AuthenticateRequest(r *http.Request) (*request.User, bool, error) { return f(r) }
