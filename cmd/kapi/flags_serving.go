package main

import (
	"github.com/spf13/pflag"

	"github.com/kapi-dev/kapi/internal/server"
)

// addServingFlags registers kube-apiserver's request-timeout and shutdown flags with
// upstream's defaults.
func addServingFlags(f *pflag.FlagSet, o *server.ServingOptions) {
	f.DurationVar(&o.RequestTimeout, "request-timeout", server.DefaultRequestTimeout, "the duration a handler must keep a request open before timing it out; the default for requests, which flags such as --min-request-timeout override for specific kinds of requests")
	o.MinRequestTimeout = f.Int("min-request-timeout", server.DefaultMinRequestTimeout, "the minimum number of seconds a handler must keep a request open before timing it out; only honored by the watch handler, which picks a randomized value above this number as the connection timeout, to spread out load")
	f.DurationVar(&o.LivezGracePeriod, "livez-grace-period", 0, "how long after start /livez passes while start-up hooks are unfinished, so that a liveness probe does not restart a server that is still starting")
	f.DurationVar(&o.ShutdownDelayDuration, "shutdown-delay-duration", 0, "time to delay the termination: the server keeps serving requests normally while /readyz fails, then stops accepting and lets in-flight requests finish; lets load balancers stop sending traffic to this server")
	f.Float64Var(&o.GoawayChance, "goaway-chance", 0, "to prevent HTTP/2 clients from getting stuck on a single apiserver, randomly close a connection (GOAWAY); the client's other in-flight requests won't be affected, and the client will reconnect, likely landing on a different apiserver after going through the load balancer again; min is 0 (off), max is .02 (1/50 requests); .001 (1/1000) is a recommended starting point")
	f.StringSliceVar(&o.CORSAllowedOrigins, "cors-allowed-origins", nil, "list of allowed origins for CORS, comma separated; an allowed origin can be a regular expression to support subdomain matching, anchored to the start of the host with '^' or '//' and to its end with '$' or ':' (e.g. '//example\\.com(:|$)'); empty disables CORS")
	f.StringSliceVar(&o.HSTSDirectives, "strict-transport-security-directives", nil, "list of directives for HSTS, comma separated (max-age=<seconds>, includeSubDomains, preload); empty sends no Strict-Transport-Security header")
	f.BoolVar(&o.PermitPortSharing, "permit-port-sharing", false, "if true, SO_REUSEPORT will be used when binding the port, which allows more than one instance to bind on the same address and port")
	f.BoolVar(&o.ShutdownSendRetryAfter, "shutdown-send-retry-after", false, "if true the HTTP Server will continue listening until all non long running request(s) in flight have been drained, during this window all incoming requests will be rejected with a status code 429 and a 'Retry-After' response header, in addition 'Connection: close' response header is set in order to tear down the TCP connection when idle")
}
