package flowcontrol

import (
	"net/http"
	"slices"

	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/request"
)

// WithMaxInFlightLimit is the limit used when API Priority and Fairness is off:
// at most maxReadOnly non-mutating and maxMutating mutating requests at once (0 or
// less: no limit), the rest rejected at once with 429 and Retry-After: 1.
// Long-running requests are not counted and system:masters is never limited.
// terminated (may be nil) counts the rejections.
func WithMaxInFlightLimit(next http.Handler, maxReadOnly, maxMutating int, terminated filters.Terminated) http.Handler {
	if maxReadOnly <= 0 && maxMutating <= 0 {
		return next
	}
	var readOnly, mutating chan struct{}
	if maxReadOnly > 0 {
		readOnly = make(chan struct{}, maxReadOnly)
	}
	if maxMutating > 0 {
		mutating = make(chan struct{}, maxMutating)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		info, ok := request.InfoFrom(ctx)
		if !ok {
			http.Error(w, "Internal Server Error: no request info", http.StatusInternalServerError)
			return
		}
		if filters.IsLongRunning(info) {
			next.ServeHTTP(w, r)
			return
		}
		seats := readOnly
		if isMutating(info.Verb) {
			seats = mutating
		}
		if seats == nil {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case seats <- struct{}{}:
			defer func() { <-seats }()
			next.ServeHTTP(w, r)
		default:
			if u, ok := request.UserFrom(ctx); ok && slices.Contains(u.Groups, request.SystemPrivilegedGrp) {
				next.ServeHTTP(w, r)
				return
			}
			tooManyRequests(w, 1)
			terminated.Record(r, http.StatusTooManyRequests)
		}
	})
}

// isMutating is false for the verbs upstream counts as read-only.
func isMutating(verb string) bool {
	switch verb {
	case "get", "list", "watch":
		return false
	}
	return true
}
