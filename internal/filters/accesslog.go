package filters

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// AccessLogLevel is the slog level of access-log lines: klog's -v=3, where upstream's
// httplog logs every request.
const AccessLogLevel = slog.Level(-3)

type accessEntryKey struct{}

// accessEntry is what the access log learns about a request from the filters inside
// it: when it arrived and who sent it.
type accessEntry struct {
	start time.Time
	// mu guards user, set by an inner filter while the outer one may read it after a
	// handler panicked or a timeout answered.
	mu   sync.Mutex
	user string
	// excluded is the time the SLI latency leaves out (queues, webhooks).
	excluded request.ExcludedLatency
}

// WithAccessLog notes when a request arrived (the start of its metrics latency), lets
// inner layers note the time the SLI latency excludes (request.AddExcludedLatency) and,
// when logger is enabled at AccessLogLevel, logs one line per finished request:
// method, path, user, code, latency, audit ID, user agent and source address. It never
// logs headers, query strings or bodies, which may hold credentials.
func WithAccessLog(next http.Handler, logger *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e := &accessEntry{start: time.Now()}
		ctx := request.WithExcludedLatency(context.WithValue(r.Context(), accessEntryKey{}, e), &e.excluded)
		r = r.WithContext(ctx)
		if logger == nil || !logger.Enabled(ctx, AccessLogLevel) {
			next.ServeHTTP(w, r)
			return
		}
		rec, wrapped := recordResponse(w)
		defer func() {
			e.mu.Lock()
			user := e.user
			e.mu.Unlock()
			host, _, err := net.SplitHostPort(r.RemoteAddr)
			if err != nil {
				host = r.RemoteAddr
			}
			logger.LogAttrs(ctx, AccessLogLevel, "HTTP",
				slog.String("verb", r.Method),
				slog.String("path", r.URL.Path),
				slog.String("user", user),
				slog.Int("code", rec.Status()),
				slog.Duration("latency", time.Since(e.start)),
				slog.String("auditID", request.AuditIDFrom(ctx)),
				slog.String("userAgent", r.UserAgent()),
				slog.String("srcIP", host),
			)
		}()
		next.ServeHTTP(wrapped, r)
	})
}

// requestStart is when WithAccessLog saw the request, or now without it.
func requestStart(ctx context.Context) time.Time {
	if e, ok := ctx.Value(accessEntryKey{}).(*accessEntry); ok {
		return e.start
	}
	return time.Now()
}

// noteUser tells the access log who the authenticated user is.
func noteUser(ctx context.Context, name string) {
	if e, ok := ctx.Value(accessEntryKey{}).(*accessEntry); ok {
		e.mu.Lock()
		e.user = name
		e.mu.Unlock()
	}
}
