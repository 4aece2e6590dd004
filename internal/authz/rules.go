package authz

import (
	"context"
	"errors"

	authorizationv1 "k8s.io/api/authorization/v1"

	"github.com/kapi-dev/kapi/internal/request"
)

// RuleResolver lists what a user may do in a namespace, for SelfSubjectRulesReview.
// incomplete is true when some authorizer cannot enumerate its rules.
type RuleResolver interface {
	RulesFor(ctx context.Context, u *request.User, namespace string) (resource []authorizationv1.ResourceRule, nonResource []authorizationv1.NonResourceRule, incomplete bool, err error)
}

// RulesFor implements RuleResolver: the rules of every member, incomplete when a
// member cannot list its own.
func (u Union) RulesFor(ctx context.Context, user *request.User, namespace string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	var res []authorizationv1.ResourceRule
	var nonRes []authorizationv1.NonResourceRule
	incomplete := false
	var errs []error
	for _, z := range u {
		rr, ok := z.(RuleResolver)
		if !ok {
			continue
		}
		r, n, inc, err := rr.RulesFor(ctx, user, namespace)
		res = append(res, r...)
		nonRes = append(nonRes, n...)
		incomplete = incomplete || inc
		if err != nil {
			errs = append(errs, err)
		}
	}
	return res, nonRes, incomplete, errors.Join(errs...)
}

// RulesFor implements RuleResolver: everything.
func (AlwaysAllow) RulesFor(context.Context, *request.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return []authorizationv1.ResourceRule{{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}},
		[]authorizationv1.NonResourceRule{{Verbs: []string{"*"}, NonResourceURLs: []string{"*"}}}, false, nil
}

// RulesFor implements RuleResolver: nothing.
func (AlwaysDeny) RulesFor(context.Context, *request.User, string) ([]authorizationv1.ResourceRule, []authorizationv1.NonResourceRule, bool, error) {
	return nil, nil, false, nil
}
