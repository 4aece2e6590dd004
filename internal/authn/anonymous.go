package authn

import (
	"errors"
	"net/http"

	"github.com/kapi-dev/kapi/internal/request"
)

// ErrAnonymousNotAllowed fails a request without credentials where the
// authentication configuration does not allow anonymous access.
var ErrAnonymousNotAllowed = errors.New("anonymous access is not allowed for this request")

// AnonymousPaths applies the anonymous section of an AuthenticationConfiguration in
// front of the anonymous fallback: a request that Next does not authenticate and
// that carries no bad credential may continue as anonymous only when Enabled and,
// if Paths is not empty, when its path is one of Paths (exact match, as upstream).
type AnonymousPaths struct {
	Next    Authenticator
	Enabled bool
	Paths   map[string]bool
}

// AuthenticateRequest implements Authenticator.
func (a AnonymousPaths) AuthenticateRequest(r *http.Request) (*request.User, bool, error) {
	u, ok, err := a.Next.AuthenticateRequest(r)
	if ok || err != nil {
		return u, ok, err
	}
	if a.Enabled && (len(a.Paths) == 0 || a.Paths[r.URL.Path]) {
		return nil, false, nil
	}
	return nil, false, ErrAnonymousNotAllowed
}
