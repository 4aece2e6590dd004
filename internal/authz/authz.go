package authz

import (
	"context"
	"fmt"
	"slices"

	"github.com/kapi-dev/kapi/internal/request"
)

// Decision is an authorizer's answer.
type Decision int

const (
	// NoOpinion lets the next authorizer decide; when none does, the request is denied.
	NoOpinion Decision = iota
	Allow
	Deny
)

// Attributes are what an authorizer decides on.
type Attributes struct {
	User *request.User
	Info *request.Info
}

// Authorizer decides on one request. reason explains a decision for logs and the
// Forbidden message.
type Authorizer interface {
	Authorize(ctx context.Context, a Attributes) (d Decision, reason string, err error)
}

// Union asks each authorizer in turn; the first Allow or Deny decides.
type Union []Authorizer

// Authorize implements Authorizer.
func (u Union) Authorize(ctx context.Context, a Attributes) (Decision, string, error) {
	var reasons []string
	for _, z := range u {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil {
			return NoOpinion, "", err
		}
		if d != NoOpinion {
			return d, reason, nil
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	if len(reasons) == 0 {
		return NoOpinion, "", nil
	}
	return NoOpinion, fmt.Sprint(reasons), nil
}

// AlwaysAllow allows everything (--authorization-mode=AlwaysAllow).
type AlwaysAllow struct{}

// Authorize implements Authorizer.
func (AlwaysAllow) Authorize(context.Context, Attributes) (Decision, string, error) {
	return Allow, "", nil
}

// AlwaysDeny denies everything (--authorization-mode=AlwaysDeny).
type AlwaysDeny struct{}

// Authorize implements Authorizer.
func (AlwaysDeny) Authorize(context.Context, Attributes) (Decision, string, error) {
	return Deny, "", nil
}

// publicPaths are what upstream's bootstrap policy lets everyone, anonymous included,
// GET (the system:public-info-viewer role).
var publicPaths = []string{"/healthz", "/livez", "/readyz", "/version", "/version/"}

// Privileged allows system:masters everything (upstream's built-in superuser group).
type Privileged struct{}

// Authorize implements Authorizer.
func (Privileged) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User != nil && slices.Contains(a.User.Groups, request.SystemPrivilegedGrp) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}

// Authenticated is the interim policy until RBAC lands: every authenticated user may
// do everything; unauthenticated users may only read the public health and version
// endpoints, as upstream's default RBAC policy allows.
type Authenticated struct{}

// Authorize implements Authorizer.
func (Authenticated) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User == nil {
		return NoOpinion, "", nil
	}
	if slices.Contains(a.User.Groups, request.AllAuthenticated) {
		return Allow, "", nil
	}
	if a.Info != nil && !a.Info.IsResourceRequest && a.Info.Verb == "get" && IsPublicPath(a.Info.Path) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}

// IsPublicPath reports whether path is readable by anyone: the health endpoints and
// their named checks, and /version.
func IsPublicPath(path string) bool {
	for _, p := range publicPaths {
		if path == p {
			return true
		}
	}
	for _, p := range []string{"/healthz/", "/livez/", "/readyz/"} {
		if len(path) > len(p) && path[:len(p)] == p {
			return true
		}
	}
	return false
}
