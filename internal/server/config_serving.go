package server

import (
	"errors"
	"regexp"
	"time"

	"github.com/kapi-dev/kapi/internal/filters"
)

// Serving defaults, kube-apiserver's.
const (
	DefaultRequestTimeout    = time.Minute
	DefaultMinRequestTimeout = 1800
)

// ServingOptions bound how long requests may take and how the server stops.
type ServingOptions struct {
	// RequestTimeout (--request-timeout) ends requests that are not long-running
	// with a 504; clients may shorten it with ?timeout=. 0 means the default, 1m.
	RequestTimeout time.Duration
	// MinRequestTimeout (--min-request-timeout, in seconds) is the base of a watch's
	// randomized server-side timeout, in [min, 2*min), when the client asks for none.
	// nil means 1800; 0 lets such watches run until the client or shutdown ends them.
	MinRequestTimeout *int
	// ShutdownDelayDuration (--shutdown-delay-duration) is how long the server keeps
	// serving after SIGTERM with /readyz failing, so that load balancers stop sending
	// it traffic before it stops listening.
	ShutdownDelayDuration time.Duration
	// LivezGracePeriod (--livez-grace-period) is how long after start /livez passes
	// whatever the start-up hooks say, so that a liveness probe does not restart a
	// server still starting; /healthz and /readyz wait for them.
	LivezGracePeriod time.Duration
	// ShutdownSendRetryAfter (--shutdown-send-retry-after) keeps the listener open
	// after the delay until in-flight requests drained, answering new requests 429
	// with Retry-After, instead of closing it at once (clients then see refused
	// connections rather than a reason to retry elsewhere).
	ShutdownSendRetryAfter bool
	// ShutdownWatchTerminationGracePeriod (--shutdown-watch-termination-grace-period)
	// spreads the end of the open watches at shutdown over this long (at least 200 a
	// second), so that their clients do not re-watch elsewhere all at once; 0 ends
	// them together.
	ShutdownWatchTerminationGracePeriod time.Duration
	// MaxConnectionBytesPerSec (--max-connection-bytes-per-sec), when positive,
	// throttles each upgraded stream (exec, attach, portforward, proxy) to that many
	// bytes a second each way.
	MaxConnectionBytesPerSec int64
	// GoawayChance (--goaway-chance) is the probability of a GOAWAY on an HTTP/2
	// request, at most 0.02, so that clients of an HA cluster spread over its
	// instances; 0 sends none.
	GoawayChance float64
	// CORSAllowedOrigins (--cors-allowed-origins) are the origin patterns browsers
	// may call the API from (filters.WithCORS); none turns CORS off.
	CORSAllowedOrigins []string
	// corsOrigins are CORSAllowedOrigins compiled by completeServing.
	corsOrigins []*regexp.Regexp
	// HSTSDirectives (--strict-transport-security-directives) make up the
	// Strict-Transport-Security header of every response; none sends none.
	HSTSDirectives []string
	// PermitPortSharing (--permit-port-sharing) binds the secure port with
	// SO_REUSEPORT, so that other processes may bind it too.
	PermitPortSharing bool
}

// completeServing fills the defaults and rejects negative values with upstream's
// messages.
func (o *ServingOptions) completeServing() error {
	var errs []error
	if o.RequestTimeout < 0 {
		errs = append(errs, errors.New("--request-timeout can not be negative value"))
	}
	if o.MinRequestTimeout != nil && *o.MinRequestTimeout < 0 {
		errs = append(errs, errors.New("--min-request-timeout can not be negative value"))
	}
	if o.ShutdownDelayDuration < 0 {
		errs = append(errs, errors.New("--shutdown-delay-duration can not be negative value"))
	}
	if o.LivezGracePeriod < 0 {
		errs = append(errs, errors.New("--livez-grace-period can not be a negative value"))
	}
	if o.ShutdownWatchTerminationGracePeriod < 0 {
		errs = append(errs, errors.New("shutdown-watch-termination-grace-period, if provided, can not be a negative value"))
	}
	if err := filters.CheckHSTSDirectives(o.HSTSDirectives); err != nil {
		errs = append(errs, err)
	}
	var err error
	if o.corsOrigins, err = filters.CORSOrigins(o.CORSAllowedOrigins); err != nil {
		errs = append(errs, err)
	}
	if o.GoawayChance < 0 || o.GoawayChance > filters.MaxGoawayChance {
		errs = append(errs, errors.New("--goaway-chance can not be less than 0 or greater than 0.02"))
	}
	if o.RequestTimeout == 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	return errors.Join(errs...)
}

// watchMinTimeout is --min-request-timeout as a duration.
func (o *ServingOptions) watchMinTimeout() time.Duration {
	if o.MinRequestTimeout == nil {
		return DefaultMinRequestTimeout * time.Second
	}
	return time.Duration(*o.MinRequestTimeout) * time.Second
}
