package authz

import (
	"context"
	"errors"
	"slices"
	"strings"

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
	var errs []error
	for _, z := range u {
		d, reason, err := z.Authorize(ctx, a)
		if err != nil {
			// Keep asking: a later authorizer may still decide.
			errs = append(errs, err)
		}
		if d != NoOpinion {
			return d, reason, nil
		}
		if reason != "" {
			reasons = append(reasons, reason)
		}
	}
	return NoOpinion, strings.Join(reasons, "\n"), errors.Join(errs...)
}

// AlwaysAllow allows everything (--authorization-mode=AlwaysAllow).
type AlwaysAllow struct{}

// Authorize implements Authorizer.
func (AlwaysAllow) Authorize(context.Context, Attributes) (Decision, string, error) {
	return Allow, "", nil
}

// AlwaysDeny allows nothing (--authorization-mode=AlwaysDeny); like upstream it has no
// opinion, so an authorizer after it may still allow.
type AlwaysDeny struct{}

// Authorize implements Authorizer.
func (AlwaysDeny) Authorize(context.Context, Attributes) (Decision, string, error) {
	return NoOpinion, "Everything is forbidden.", nil
}

// Privileged allows system:masters everything (upstream's built-in superuser group).
type Privileged struct{}

// Authorize implements Authorizer.
func (Privileged) Authorize(_ context.Context, a Attributes) (Decision, string, error) {
	if a.User != nil && slices.Contains(a.User.Groups, request.SystemPrivilegedGrp) {
		return Allow, "", nil
	}
	return NoOpinion, "", nil
}
