package filters

import "net/http"

// WithCacheControl marks responses private and uncacheable unless a handler says
// otherwise (OpenAPI and discovery set their own), as upstream does.
func WithCacheControl(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-cache, private")
		next.ServeHTTP(w, r)
	})
}
