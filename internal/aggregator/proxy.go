package aggregator

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/kapi-dev/kapi/internal/proxy"
	"github.com/kapi-dev/kapi/internal/request"
)

// Handler serves the requests of remote group versions (/apis/<group>/<version>
// and below) by proxying them, and passes every other request to next. It belongs
// after authentication and authorization: the extension server trusts the identity
// the proxy forwards.
func (a *Aggregator) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gv, ok := groupVersionOf(r.URL.Path)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		b := a.lookup(gv)
		if b == nil {
			next.ServeHTTP(w, r)
			return
		}
		a.proxy(w, r, b)
	})
}

// proxy forwards r to b's Service. Failures are answered as kube-aggregator does:
// plain-text errors, 503 when the backend is unavailable or unreachable.
func (a *Aggregator) proxy(w http.ResponseWriter, r *http.Request, b *backend) {
	if !b.available {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	if b.transportErr != nil {
		http.Error(w, b.transportErr.Error(), http.StatusInternalServerError)
		return
	}
	u, ok := request.UserFrom(r.Context())
	if !ok || u == nil {
		http.Error(w, "missing user", http.StatusInternalServerError)
		return
	}
	ref := b.spec.Service
	port := int32(443)
	if ref.Port != nil {
		port = *ref.Port
	}
	host, err := a.cfg.ResolveService(r.Context(), ref.Namespace, ref.Name, port)
	if err != nil {
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	out := r.Clone(r.Context())
	a.headers.setIdentity(out.Header, u)
	tlsCfg := b.tls
	h := &proxy.Handler{
		Location:         &url.URL{Scheme: "https", Host: host, Path: r.URL.Path, RawQuery: r.URL.RawQuery},
		Transport:        b.transport,
		UpgradeTransport: func() http.RoundTripper { return newTransport(tlsCfg, true) },
		Stop:             a.cfg.Stop,
		Error: func(w http.ResponseWriter, _ *http.Request, err error) {
			msg := err.Error()
			if i := strings.Index(msg, "error dialing backend: "); i >= 0 {
				msg = msg[i+len("error dialing backend: "):]
			}
			http.Error(w, "error trying to reach service: "+msg, http.StatusServiceUnavailable)
		},
	}
	h.ServeHTTP(w, out)
}
