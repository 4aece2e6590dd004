package filters

import (
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/request"
)

// ServedResource reports whether a resource request addresses a resource (and
// subresource) the server serves. Requests for anything else are not recorded, so
// that clients cannot grow the metrics without bound.
type ServedResource func(info *request.Info) bool

// WithRequestMetrics records apiserver_request_total, apiserver_request_duration_seconds,
// apiserver_request_sli_duration_seconds (not for long-running requests; less the
// waits inner layers report with request.AddExcludedLatency) and
// apiserver_response_sizes for every request to a served resource (and the health
// and discovery paths upstream instruments), counts in-flight and long-running
// requests, and gives watches a context in which their events are counted. It sits
// after authorization, where upstream's route instrumentation sees requests; the
// latency counts from when WithAccessLog first saw the request.
func WithRequestMetrics(next http.Handler, m *metrics.Metrics, served ServedResource) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		start := requestStart(ctx)
		info, _ := request.InfoFrom(ctx)
		if u, ok := request.UserFrom(ctx); ok {
			noteUser(ctx, u.Name)
		}
		if info == nil {
			info = &request.Info{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
		}
		if IsLongRunning(info) {
			labels, record := requestLabels(r, info, served)
			if !record {
				next.ServeHTTP(w, r)
				return
			}
			defer m.StartLongRunning(labels)()
			if labels.Verb == "WATCH" {
				r = r.WithContext(m.WithWatchRecorder(ctx, info.APIGroup, info.APIVersion, info.Resource))
			}
			serveRecorded(next, w, r, m, labels, start, false)
			return
		}
		defer m.StartInflight(isMutating(info))()
		labels, record := requestLabels(r, info, served)
		if !record {
			next.ServeHTTP(w, r)
			return
		}
		serveRecorded(next, w, r, m, labels, start, true)
	})
}

// Terminated is told of each request the server answers in self-defense before (or
// instead of) its handler: code is 504 for a timeout, 429 for a flow-control
// rejection. Nil records nothing.
type Terminated func(r *http.Request, code int)

// RecordTerminations counts terminated requests to served resources (and the paths
// upstream instruments) in apiserver_request_terminations_total, with the labels of
// apiserver_request_total, as upstream's alert on terminated requests compares them.
func RecordTerminations(m *metrics.Metrics, served ServedResource) Terminated {
	return func(r *http.Request, code int) {
		info, _ := request.InfoFrom(r.Context())
		if info == nil {
			info = &request.Info{Path: r.URL.Path, Verb: strings.ToLower(r.Method)}
		}
		if labels, ok := requestLabels(r, info, served); ok {
			m.ObserveTermination(labels, code)
		}
	}
}

// Record tells t of a terminated request; a nil t records nothing.
func (t Terminated) Record(r *http.Request, code int) {
	if t != nil {
		t(r, code)
	}
}

// serveRecorded serves r and records its metrics; sli adds its SLI latency (upstream
// records none for long-running requests).
func serveRecorded(next http.Handler, w http.ResponseWriter, r *http.Request, m *metrics.Metrics, labels metrics.RequestLabels, start time.Time, sli bool) {
	rec, wrapped := recordResponse(w)
	next.ServeHTTP(wrapped, r)
	elapsed := time.Since(start)
	m.ObserveRequest(labels, rec.Status(), int(rec.written), elapsed)
	if sli {
		m.ObserveSLI(labels, max(elapsed-request.ExcludedLatencyFrom(r.Context()), 0))
	}
}

// isMutating is false for the read-only verbs upstream's max-in-flight limit counts
// apart.
func isMutating(info *request.Info) bool {
	switch info.Verb {
	case "get", "list", "watch":
		return false
	}
	return true
}

// instrumentedPaths are the non-resource paths upstream records request metrics for,
// with their component label.
var instrumentedPaths = map[string]string{
	"/healthz": "", "/livez": "", "/readyz": "",
	"/api": metrics.Component, "/apis": metrics.Component,
}

// requestLabels computes the labels of a request as upstream's route instrumentation
// does; record is false for requests upstream has no route for.
func requestLabels(r *http.Request, info *request.Info, served ServedResource) (l metrics.RequestLabels, record bool) {
	if !info.IsResourceRequest {
		component, ok := instrumentedPaths[r.URL.Path]
		if !ok {
			return l, false
		}
		return metrics.RequestLabels{Verb: reportedVerb(r, info, ""), Subresource: r.URL.Path, Component: component}, true
	}
	if served == nil || !served(info) {
		return l, false
	}
	scope := requestScope(info)
	return metrics.RequestLabels{
		Verb:        reportedVerb(r, info, scope),
		DryRun:      cleanDryRun(r.URL),
		Group:       info.APIGroup,
		Version:     info.APIVersion,
		Resource:    info.Resource,
		Subresource: info.Subresource,
		Scope:       scope,
		Component:   metrics.Component,
	}, true
}

// requestScope is the scope label: "resource" for named objects and creates,
// "namespace" for namespaced collections, "cluster" for the rest.
func requestScope(info *request.Info) string {
	switch {
	case info.Name != "" || info.Verb == "create":
		return "resource"
	case info.Namespace != "":
		return "namespace"
	case info.IsResourceRequest:
		return "cluster"
	}
	return ""
}

// reportedVerbs are the verb label values; anything else is reported as "other".
var reportedVerbs = map[string]bool{
	"APPLY": true, "CONNECT": true, "CREATE": true, "DELETE": true, "DELETECOLLECTION": true, "GET": true,
	"LIST": true, "PATCH": true, "POST": true, "PROXY": true, "PUT": true, "UPDATE": true, "WATCH": true, "WATCHLIST": true,
}

// connectSubresources are reported with the CONNECT verb.
var connectSubresources = map[string]bool{"log": true, "exec": true, "portforward": true, "attach": true, "proxy": true}

// reportedVerb is the upper-case verb label: the HTTP method, with GET split into GET
// and LIST by scope, and WATCH, APPLY and CONNECT told apart.
func reportedVerb(r *http.Request, info *request.Info, scope string) string {
	verb := strings.ToUpper(r.Method)
	if verb == http.MethodGet || verb == http.MethodHead {
		verb = "GET"
		if scope != "resource" && scope != "" {
			verb = "LIST"
		}
		if info.Verb == "watch" || watchRequested(r.URL) {
			verb = "WATCH"
		}
	}
	if verb == http.MethodPatch && isApplyPatch(r.Header.Get("Content-Type")) {
		verb = "APPLY"
	}
	if info.IsResourceRequest && connectSubresources[info.Subresource] {
		verb = "CONNECT"
	}
	if !reportedVerbs[verb] {
		return "other"
	}
	return verb
}

// watchRequested reads ?watch as a boolean the way query parameters convert: any
// value but "0" and "false" turns a GET into a watch.
func watchRequested(u *url.URL) bool {
	if !strings.Contains(u.RawQuery, "watch") {
		return false
	}
	vals := u.Query()["watch"]
	if len(vals) == 0 {
		return false
	}
	v := strings.ToLower(vals[0])
	return v != "0" && v != "false"
}

func isApplyPatch(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	return err == nil && mt == string(types.ApplyPatchType)
}

// cleanDryRun is the dry_run label: "" without dryRun, the sorted distinct values
// when they are valid, "invalid" otherwise.
func cleanDryRun(u *url.URL) string {
	if !strings.Contains(u.RawQuery, "dryRun") {
		return ""
	}
	vals := u.Query()["dryRun"]
	if len(validation.ValidateDryRun(nil, vals)) > 0 {
		return "invalid"
	}
	vals = slices.Clone(vals)
	slices.Sort(vals)
	return strings.Join(slices.Compact(vals), ",")
}
