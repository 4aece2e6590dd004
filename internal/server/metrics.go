package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/filters"
	"github.com/kapi-dev/kapi/internal/metrics"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
	"github.com/kapi-dev/kapi/internal/storage"
	"github.com/kapi-dev/kapi/internal/storage/cacher"
)

// observability returns the server's metrics, created on first use so that stores
// built before the handler chain can already be instrumented.
func (s *Server) observability() *metrics.Metrics {
	if s.metrics == nil {
		s.metrics = metrics.New()
		s.metrics.Registry().MustRegister(buildInfo())
	}
	return s.metrics
}

// buildInfo is kubernetes_build_info: 1, labelled with what /version reports, as
// upstream's dashboards read the version from it.
func buildInfo() prometheus.Collector {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "kubernetes_build_info",
		Help: "A metric with a constant '1' value labeled by major, minor, git version, git commit, git tree state, build date, Go version, and compiler from which Kubernetes was built, and platform on which it is running.",
	}, []string{"major", "minor", "git_version", "git_commit", "git_tree_state", "build_date", "go_version", "compiler", "platform"})
	v := Version
	g.WithLabelValues(v.Major, v.Minor, v.GitVersion, v.GitCommit, v.GitTreeState, v.BuildDate, v.GoVersion, v.Compiler, v.Platform).Set(1)
	return g
}

// certificateExpiration records apiserver_client_certificate_expiration_seconds, the
// remaining lifetime of the client certificates requests authenticate with, in
// upstream's buckets (its expiry alerts read them).
func (s *Server) certificateExpiration() func(time.Duration) {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "apiserver_client_certificate_expiration_seconds",
		Help: "Distribution of the remaining lifetime on the certificate used to authenticate a request.",
		Buckets: []float64{0, 1800, 3600, 7200, 21600, 43200, 86400, 172800, 345600, 604800,
			2592000, 7776000, 15552000, 31104000},
	})
	s.observability().Registry().MustRegister(h)
	return func(d time.Duration) { h.Observe(d.Seconds()) }
}

// unavailableAPIServices records aggregator_unavailable_apiservice: 1 for each remote
// APIService its last check found unavailable, 0 for the available ones, as
// upstream's AggregatedAPIDown alert reads it.
func (s *Server) unavailableAPIServices() func(string, *bool) {
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "aggregator_unavailable_apiservice",
		Help: "Gauge of APIServices which are marked as unavailable broken down by APIService name.",
	}, []string{"name"})
	s.observability().Registry().MustRegister(g)
	return func(name string, available *bool) {
		switch {
		case available == nil:
			g.DeleteLabelValues(name)
		case *available:
			g.WithLabelValues(name).Set(0)
		default:
			g.WithLabelValues(name).Set(1)
		}
	}
}

// terminations counts the requests timed out or rejected by flow control
// (apiserver_request_terminations_total).
func (s *Server) terminations() filters.Terminated {
	return filters.RecordTerminations(s.observability(), s.servedResource)
}

// Metrics returns the server's metrics, where other subsystems register collectors.
func (s *Server) Metrics() *metrics.Metrics { return s.observability() }

func groupResourceOf(res *registry.Resource) schema.GroupResource {
	return schema.GroupResource{Group: res.GroupVersion.Group, Resource: res.Name}
}

// instrumentStorage counts and times the etcd requests of res's store.
func (s *Server) instrumentStorage(res *registry.Resource, st storage.Interface) storage.Interface {
	return s.observability().InstrumentStorage(groupResourceOf(res), st)
}

// listObserver records the lists res's watch cache serves from memory.
func (s *Server) listObserver(res *registry.Resource) func(evaluated, returned int) {
	return s.observability().ListObserver(groupResourceOf(res))
}

// observeCache reports the object and watcher counts of res's watch cache.
func (s *Server) observeCache(res *registry.Resource, c *cacher.Cacher) {
	s.observability().AddCache(groupResourceOf(res), res.StorageKind, c)
}

// servedResource reports whether info addresses a served resource and subresource:
// only those get request metrics, as only they have routes upstream.
func (s *Server) servedResource(info *request.Info) bool {
	store := s.api.Store(schema.GroupVersionResource{Group: info.APIGroup, Version: info.APIVersion, Resource: info.Resource})
	if store == nil {
		return false
	}
	res := store.Resource()
	switch info.Subresource {
	case "":
		return true
	case "status":
		return res.Status
	case "scale":
		return res.Scale != nil
	}
	return res.Subresource(info.Subresource) != nil
}

// installObservability serves /metrics and, with profiling, /debug/pprof/ and
// /debug/flags/v. All of them sit behind authentication and authorization like every
// non-resource path (the system:monitoring group may read /metrics).
func (s *Server) installObservability(mux *http.ServeMux) {
	mux.Handle("/metrics", s.observability().Handler(s.cfg.DisabledMetrics...))
	if !s.cfg.profiling() {
		return
	}
	if s.cfg.ContentionProfiling {
		runtime.SetBlockProfileRate(1)
	}
	installDebug(mux, s.cfg.LogLevel)
}

// installDebug adds the profiling and log verbosity endpoints to mux: the secure
// port's (with --profiling) and the debug socket's.
func installDebug(mux *http.ServeMux, level *slog.LevelVar) {
	mux.Handle("/debug/pprof", http.RedirectHandler("/debug/pprof/", http.StatusFound))
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	if level == nil {
		level = new(slog.LevelVar) // the default logger's level is not ours to change
	}
	mux.HandleFunc("/debug/flags", debugFlagsIndex)
	mux.HandleFunc("/debug/flags/", debugFlagsIndex)
	mux.Handle("/debug/flags/v", verbosityHandler(level))
}

func debugFlagsIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = io.WriteString(w, "<html>\n<head>\n<title>/debug/flags/</title>\n</head>\n<body>\n/debug/flags/<br>\n<br>\nflags:<br>\n<table>\n<tr>v<br>\n</table>\n<br>\nfull flags configurable<br>\n</body>\n</html>\n")
}

// maxVerbosityBody bounds what PUT /debug/flags/v reads: a small integer.
const maxVerbosityBody = 64

// verbosityHandler changes the log verbosity on PUT with the new -v value as the body,
// answering in plain text as upstream does.
func verbosityHandler(level *slog.LevelVar) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPut {
			plainText(w, http.StatusNotAcceptable, "unsupported http method")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, maxVerbosityBody+1))
		if err != nil {
			plainText(w, http.StatusBadRequest, "error reading request body: "+err.Error())
			return
		}
		val := string(body)
		v, err := strconv.ParseUint(val, 10, 32)
		if err != nil || len(body) > maxVerbosityBody {
			if err == nil {
				err = fmt.Errorf("value too long")
			}
			plainText(w, http.StatusBadRequest, err.Error())
			return
		}
		level.Set(verbosityLevel(int(min(v, 1<<20))))
		slog.Info("log verbosity changed", "v", v)
		plainText(w, http.StatusOK, "successfully set klog.logging.verbosity to "+strings.TrimSpace(val))
	})
}

func plainText(w http.ResponseWriter, code int, text string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = fmt.Fprintln(w, text)
}
