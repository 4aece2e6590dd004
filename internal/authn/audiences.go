package authn

import "context"

type audiencesKey struct{}

// WithAudiences tells token authenticators which audiences the token must be meant
// for (a TokenReview's spec.audiences); without it they check the API audiences.
func WithAudiences(ctx context.Context, audiences []string) context.Context {
	if len(audiences) == 0 {
		return ctx
	}
	return context.WithValue(ctx, audiencesKey{}, audiences)
}

// AudiencesFrom returns the audiences set by WithAudiences, or nil.
func AudiencesFrom(ctx context.Context) []string {
	a, _ := ctx.Value(audiencesKey{}).([]string)
	return a
}
