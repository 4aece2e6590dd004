package filters

import (
	"net/http"

	"github.com/kapi-dev/kapi/internal/request"
)

// WithRequestInfo parses the request's verb, group, version, resource, namespace and
// name once and stores them in the context for every later layer.
func WithRequestInfo(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := request.ParseInfo(r)
		next.ServeHTTP(w, r.WithContext(request.WithInfo(r.Context(), info)))
	})
}
