package filters

import (
	"net/http"

	"k8s.io/apimachinery/pkg/util/uuid"

	"github.com/kapi-dev/kapi/internal/request"
)

// AuditIDHeader carries the request's audit ID, in requests (optional) and responses.
const AuditIDHeader = "Audit-ID"

// WithAuditID gives every request an audit ID (the client's Audit-ID header if it sent
// one, else a new UUID), echoes it in the response headers and starts the request's
// audit annotations.
func WithAuditID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get(AuditIDHeader)
		if id == "" {
			id = string(uuid.NewUUID())
		}
		w.Header().Set(AuditIDHeader, id)
		ctx := request.WithAuditAnnotations(request.WithAuditID(r.Context(), id))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
