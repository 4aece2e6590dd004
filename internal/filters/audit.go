package filters

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/request"
)

// AuditConfig is what the audit filters need; a nil *AuditConfig disables auditing.
type AuditConfig struct {
	// Evaluator decides each request's level from --audit-policy-file.
	Evaluator *audit.Evaluator
	// Backend receives the events (the union of the log and webhook backends, each
	// wrapped for its mode). ProcessEvents returning false for the RequestReceived
	// stage fails the request, which only a blocking-strict backend does.
	Backend audit.Backend
	// Metrics counts events, levels and rejected requests (may be nil).
	Metrics *audit.Metrics
	// ToJSON turns a body in another media type (protobuf, YAML) into JSON for
	// requestObject and responseObject; nil keeps only JSON bodies.
	ToJSON func(contentType string, body []byte) ([]byte, bool)
}

func (c *AuditConfig) enabled() bool { return c != nil && c.Evaluator != nil && c.Backend != nil }

type auditRecordKey struct{}

func auditRecordFrom(ctx context.Context) *auditRecord {
	rec, _ := ctx.Value(auditRecordKey{}).(*auditRecord)
	return rec
}

// WithAudit records every request's audit events. It runs right after WithAuditID and
// before authentication, so that it also sees requests authentication rejects: those
// are audited (with an empty user) when their 401 is written, as upstream's
// failed-authentication audit does. The policy is evaluated and RequestReceived sent
// by WithAuditAuthenticated once the user is known; this filter watches the response
// (ResponseStarted for long-running requests, the status, the body) and sends
// ResponseComplete, or Panic, when the handler returns.
func WithAudit(next http.Handler, cfg *AuditConfig) http.Handler {
	if !cfg.enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := newAuditRecord(cfg, r)
		aw := &auditWriter{ResponseWriter: w, rec: rec}
		defer func() {
			if p := recover(); p != nil {
				rec.panicked(p)
				panic(p)
			}
			rec.complete()
		}()
		next.ServeHTTP(aw, r.WithContext(context.WithValue(r.Context(), auditRecordKey{}, rec)))
	})
}

// WithAuditAuthenticated sits right after authentication: it evaluates the policy for
// the authenticated user and sends RequestReceived. A blocking-strict backend that
// fails to store it fails the request with upstream's plain-text 500.
func WithAuditAuthenticated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := auditRecordFrom(r.Context())
		if rec == nil {
			next.ServeHTTP(w, r)
			return
		}
		u, _ := request.UserFrom(r.Context())
		if !rec.begin(u, r) {
			rec.cfg.Metrics.ObserveRejected()
			writeInternalErrorText(w, r, "failed to store audit event")
			return
		}
		next.ServeHTTP(w, r)
	})
}

// WithAuditImpersonated sits right after impersonation: it records the impersonated
// user (the event's user stays the authenticated impersonator, as upstream).
func WithAuditImpersonated(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rec := auditRecordFrom(r.Context()); rec != nil {
			if _, impersonating := request.ImpersonatorFrom(r.Context()); impersonating {
				u, _ := request.UserFrom(r.Context())
				rec.impersonated(u)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// writeInternalErrorText answers as upstream's responsewriters.InternalError does.
func writeInternalErrorText(w http.ResponseWriter, r *http.Request, msg string) {
	text := strings.NewReplacer("\n", "", "\r", "").Replace(fmt.Sprintf("Internal Server Error: %q: %s", r.RequestURI, msg))
	http.Error(w, text, http.StatusInternalServerError)
}
