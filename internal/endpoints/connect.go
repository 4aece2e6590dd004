package endpoints

import (
	"net/http"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// SetMaxConnectionBytesPerSec sets --max-connection-bytes-per-sec: when positive,
// the upgraded streams of connect subresources (exec, attach, portforward, proxy)
// are throttled to that many bytes a second each way. Set before serving.
func (a *API) SetMaxConnectionBytesPerSec(n int64) { a.maxConnectionBytesPerSec = n }

// connect serves a connect subresource (pods/log, pods/exec, */proxy...): the
// subresource returns a handler that streams or proxies the request.
func (e *endpoint) connect(w http.ResponseWriter, r *http.Request, info *request.Info, sub *registry.Subresource) {
	a := e.api
	if info.Name == "" { // ".../pods//exec" names nothing
		a.WriteError(w, r, NotFound())
		return
	}
	if !slices.Contains(sub.ConnectMethods, r.Method) {
		a.WriteError(w, r, methodNotAllowed())
		return
	}
	ns := info.Namespace
	if !e.res.Namespaced {
		ns = ""
	}
	// pods/log reads; the others connect, and a connection cannot be dry run.
	connecting := !slices.Equal(sub.ConnectMethods, []string{http.MethodGet})
	if connecting && len(r.URL.Query()["dryRun"]) > 0 {
		a.WriteError(w, r, apierrors.NewBadRequest("dryRun is not supported"))
		return
	}
	req := registry.ConnectRequest{
		Namespace:      ns,
		Name:           info.Name,
		Path:           subPath(info),
		Query:          r.URL.Query(),
		Stop:           a.streams.Done(),
		MaxBytesPerSec: a.maxConnectionBytesPerSec,
		Error:          a.WriteError,
	}
	if connecting && a.admission != nil {
		// Upstream admits the connect options as the object, with no operation
		// options.
		opts, err := registry.DecodeQueryOptions(sub.Kind, req.Query, req.Path)
		if err != nil {
			a.WriteError(w, r, err)
			return
		}
		attrs := &Attributes{Operation: "CONNECT", Resource: e.res.GroupVersionResource(), Kind: sub.Kind,
			Subresource: sub.Name, Namespace: ns, Name: info.Name, Object: opts}
		if err := a.admission.Mutate(r.Context(), attrs); err != nil {
			a.WriteError(w, r, err)
			return
		}
		if err := a.admission.Validate(r.Context(), attrs); err != nil {
			a.WriteError(w, r, err)
			return
		}
	}
	h, err := sub.Connect(r.Context(), req)
	if err != nil {
		a.WriteError(w, r, err)
		return
	}
	h.ServeHTTP(w, r)
}

// subPath is the path after the subresource, with a leading slash and the request's
// trailing slash ("" when there is none), as upstream gives proxies.
func subPath(info *request.Info) string {
	if len(info.Parts) <= 3 {
		if strings.HasSuffix(info.Path, "/") && len(info.Parts) == 3 {
			return "/"
		}
		return ""
	}
	p := "/" + strings.Join(info.Parts[3:], "/")
	if strings.HasSuffix(info.Path, "/") && !strings.HasSuffix(p, "/") {
		p += "/"
	}
	return p
}
