package filters

import (
	"math/rand/v2"
	"net/http"
)

// MaxGoawayChance is the largest --goaway-chance kube-apiserver accepts.
const MaxGoawayChance = 0.02

// WithProbabilisticGoaway implements --goaway-chance: an HTTP/2 request is, with
// probability chance, answered with "Connection: close", which Go's HTTP/2 server
// turns into a GOAWAY. The client finishes its streams on the connection and
// opens a new one, which a load balancer may send to another instance; without
// this, the long-lived connections of an HA cluster stay on whichever instance
// they first reached. chance 0 returns h.
func WithProbabilisticGoaway(h http.Handler, chance float64) http.Handler {
	return withGoaway(h, chance, rand.Float64)
}

func withGoaway(h http.Handler, chance float64, next func() float64) http.Handler {
	if chance <= 0 {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 && next() < chance {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}
