package filters

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// WithPanicRecovery turns a panic in a handler into a 500 Status instead of a dropped
// connection. http.ErrAbortHandler is re-raised: it is how a handler aborts on purpose.
func WithPanicRecovery(next http.Handler, writeError ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			slog.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
			writeError(w, r, apierrors.NewInternalError(fmt.Errorf("an unexpected panic occurred")))
		}()
		next.ServeHTTP(w, r)
	})
}
