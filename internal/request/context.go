package request

import "context"

type ctxKey int

const (
	infoKey ctxKey = iota
	userKey
	auditIDKey
	impersonatorKey
)

// User is an authenticated identity.
type User struct {
	Name   string
	UID    string
	Groups []string
	Extra  map[string][]string
}

// Well-known users and groups.
const (
	Anonymous           = "system:anonymous"
	AllUnauthenticated  = "system:unauthenticated"
	AllAuthenticated    = "system:authenticated"
	SystemPrivilegedGrp = "system:masters"
)

// WithInfo returns a context that carries info.
func WithInfo(ctx context.Context, info *Info) context.Context {
	return context.WithValue(ctx, infoKey, info)
}

// InfoFrom returns the request info set by the request-info filter.
func InfoFrom(ctx context.Context) (*Info, bool) {
	i, ok := ctx.Value(infoKey).(*Info)
	return i, ok
}

// WithUser returns a context that carries the authenticated user.
func WithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userKey, u)
}

// UserFrom returns the authenticated user, if authentication ran.
func UserFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(userKey).(*User)
	return u, ok
}

// WithAuditID returns a context that carries the request's audit ID.
func WithAuditID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, auditIDKey, id)
}

// AuditIDFrom returns the request's audit ID or "".
func AuditIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(auditIDKey).(string)
	return id
}

// WithImpersonator records the authenticated user who is impersonating the request's
// user, for audit.
func WithImpersonator(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, impersonatorKey, u)
}

// ImpersonatorFrom returns the impersonating user, if the request impersonates.
func ImpersonatorFrom(ctx context.Context) (*User, bool) {
	u, ok := ctx.Value(impersonatorKey).(*User)
	return u, ok
}
