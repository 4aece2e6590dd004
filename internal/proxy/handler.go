package proxy

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// flushInterval is how often a proxied response is flushed to the client, as
// upstream's proxy.
const flushInterval = 200 * time.Millisecond

// ErrorWriter answers a request with err as a metav1.Status.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Handler proxies one request to Location. A request asking for a connection
// upgrade (SPDY, WebSocket) is proxied on a connection of its own, hijacked from the
// client and copied both ways until either side closes or Stop is closed.
type Handler struct {
	// Location is the backend: scheme ("" means http), host and path. Its query is
	// what an upgraded stream sends (the options of exec, attach, portforward);
	// other requests carry the client's query.
	Location *url.URL
	// Transport serves ordinary requests.
	Transport http.RoundTripper
	// UpgradeTransport returns a fresh transport for each upgraded stream, so that
	// no connection is shared between users; nil uses Transport.
	UpgradeTransport func() http.RoundTripper
	// UpgradeRequired refuses requests that are not upgrades (exec, attach,
	// portforward) with upstream's 400.
	UpgradeRequired bool
	// Rewrite marks a proxy subresource: X-Forwarded-Uri is set, same-host
	// redirects are rewritten to go through the API server and CORS headers of the
	// backend are dropped, as upstream does for pods, services and nodes proxy.
	Rewrite bool
	// Stop, when closed, ends the request and any upgraded stream (server shutdown).
	Stop <-chan struct{}
	// MaxBytesPerSec, when positive, throttles an upgraded stream to that many
	// bytes a second each way (--max-connection-bytes-per-sec).
	MaxBytesPerSec int64
	// Error writes errors found before anything was sent.
	Error ErrorWriter
}

// IsUpgradeRequest reports whether r asks to switch protocols: a Connection header
// with the "upgrade" token and an Upgrade header.
func IsUpgradeRequest(r *http.Request) bool {
	if r.Header.Get("Upgrade") == "" {
		return false
	}
	for _, v := range r.Header["Connection"] {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "upgrade") {
				return true
			}
		}
	}
	return false
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	upgrade := IsUpgradeRequest(r)
	if !upgrade && h.UpgradeRequired {
		h.Error(w, r, apierrors.NewBadRequest("Upgrade request required"))
		return
	}
	loc := *h.Location
	if loc.Scheme == "" {
		loc.Scheme = "http"
	}
	backendPath := loc.Path
	if !upgrade || h.Rewrite {
		loc.RawQuery = r.URL.RawQuery
	}
	if !strings.HasSuffix(loc.Path, "/") && strings.HasSuffix(r.URL.Path, "/") {
		loc.Path += "/"
	}
	if !upgrade && loc.Path == "" && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// A proxy root without its slash: relative links of the backend's page only
		// resolve under "<...>/proxy/".
		target := r.URL.Path + "/"
		if r.URL.RawQuery != "" {
			target += "?" + r.URL.RawQuery
		}
		w.Header().Set("Location", target)
		w.WriteHeader(http.StatusMovedPermanently)
		return
	}

	ctx, cancel := WithStop(r.Context(), h.Stop)
	defer cancel()

	rt := h.Transport
	if upgrade && h.UpgradeTransport != nil {
		rt = h.UpgradeTransport()
		if c, ok := rt.(interface{ CloseIdleConnections() }); ok {
			defer c.CloseIdleConnections()
		}
	}
	prefix := ""
	if h.Rewrite {
		suffix := backendPath
		if strings.HasSuffix(r.URL.Path, "/") && !strings.HasSuffix(suffix, "/") {
			suffix += "/"
		}
		prefix = strings.TrimSuffix(r.URL.Path, suffix)
	}
	clientHost := r.Host
	rp := &httputil.ReverseProxy{
		Director: func(out *http.Request) {
			u := loc
			out.URL = &u
			if upgrade {
				out.Host = loc.Host
			}
			stripCredentials(out.Header)
			if h.Rewrite {
				fwd := JoinPath(prefix, out.URL.EscapedPath())
				if strings.HasSuffix(out.URL.Path, "/") && !strings.HasSuffix(fwd, "/") {
					fwd += "/"
				}
				out.Header.Set("X-Forwarded-Uri", fwd)
			}
		},
		Transport:     rt,
		FlushInterval: flushInterval,
		ErrorLog:      log.New(io.Discard, "", 0),
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if r.Context().Err() != nil {
				return // the client went away or the server is stopping
			}
			if h.Rewrite {
				h.Error(w, r, apierrors.NewServiceUnavailable(fmt.Sprintf("error trying to reach service: %v", err)))
				return
			}
			h.Error(w, r, apierrors.NewInternalError(fmt.Errorf("error dialing backend: %v", err)))
		},
	}
	if h.Rewrite && !upgrade {
		rp.ModifyResponse = func(resp *http.Response) error {
			for _, k := range corsHeaders {
				resp.Header.Del(k)
			}
			if redirect := resp.Header.Get("Location"); redirect != "" {
				target, err := url.Parse(redirect)
				if err != nil {
					return apierrors.NewInternalError(fmt.Errorf("error trying to parse Location header: %v", err))
				}
				resp.Header.Set("Location", rewriteRedirect(target, resp.Request.URL.Host, clientHost, prefix))
			}
			return nil
		}
	}
	if upgrade && h.MaxBytesPerSec > 0 {
		w = throttledWriter{ResponseWriter: w, rate: h.MaxBytesPerSec}
	}
	rp.ServeHTTP(w, r.WithContext(ctx))
}

// corsHeaders are the backend's CORS answers, which must not reach the client: the
// API server's own CORS policy applies.
var corsHeaders = []string{
	"Access-Control-Allow-Credentials", "Access-Control-Allow-Headers",
	"Access-Control-Allow-Methods", "Access-Control-Allow-Origin",
}

// stripCredentials drops what authenticated the client to the API server: the
// backend must never see it.
func stripCredentials(h http.Header) {
	h.Del("Authorization")
	h.Del("Proxy-Authorization")
	for k := range h {
		if strings.HasPrefix(k, "Impersonate-") {
			delete(h, k)
		}
	}
}

// rewriteRedirect makes a backend redirect to its own host (or to the host the
// client used) go through the proxy path prefix; other redirects pass unchanged.
func rewriteRedirect(u *url.URL, backendHost, clientHost, prefix string) string {
	if (u.Host != "" && u.Host != backendHost && u.Host != clientHost) || !strings.HasPrefix(u.Path, "/") {
		return u.String()
	}
	if u.Host != clientHost {
		u.Scheme, u.Host = "", ""
	}
	if strings.HasPrefix(u.Path, prefix) {
		return u.String()
	}
	trailing := strings.HasSuffix(u.Path, "/")
	u.Path = JoinPath(prefix, u.Path)
	if trailing && !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	return u.String()
}

// NewBackendTransport returns the transport to pods and services (pods/proxy,
// services/proxy, nodes/proxy on a port other than the kubelet's). As upstream it
// does not verify the backend's certificate for "https:" names and presents none.
// once makes it single-use, for upgraded streams.
func NewBackendTransport(once bool) *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		DialContext:            dialer.DialContext,
		TLSClientConfig:        &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    10 * time.Second,
		MaxResponseHeaderBytes: maxResponseHeaderBytes,
		DisableKeepAlives:      once,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConnsPerHost:    25,
	}
}

// WithStop returns a context that is also cancelled when stop closes, for streams
// that must end at server shutdown (hijacked connections outlive http.Server's own).
func WithStop(parent context.Context, stop <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(parent)
	if stop != nil {
		go func() {
			select {
			case <-stop:
				cancel()
			case <-ctx.Done():
			}
		}()
	}
	return ctx, cancel
}
