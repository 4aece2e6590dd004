package filters

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

// WithAuthentication identifies the user. A request whose credentials fail gets 401;
// one without credentials continues as anonymous when anonymous is allowed, else 401.
// The Authorization header is removed so that it never travels further.
func WithAuthentication(next http.Handler, auth authn.Authenticator, anonymous bool, writeError ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok, err := auth.AuthenticateRequest(r)
		if !ok && err == nil {
			// A bearer token nobody recognised is an invalid credential, not an
			// anonymous request (upstream's service-account authenticator rejects it).
			if _, has := authn.BearerToken(r); has {
				err = authn.ErrInvalidCredentials
			}
		}
		if err != nil || (!ok && !anonymous) {
			writeError(w, r, apierrors.NewUnauthorized("Unauthorized"))
			return
		}
		if !ok {
			u, _, _ = authn.Anonymous{}.AuthenticateRequest(r)
		}
		r.Header.Del("Authorization")
		next.ServeHTTP(w, r.WithContext(request.WithUser(r.Context(), u)))
	})
}
