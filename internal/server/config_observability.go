package server

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// ObservabilityOptions configure logging, /metrics and the debug endpoints, as
// kube-apiserver's --v, --logging-format, --profiling and --contention-profiling.
type ObservabilityOptions struct {
	// Profiling serves /debug/pprof/ and /debug/flags/v to authorized users; nil
	// means true, upstream's default.
	Profiling *bool
	// ContentionProfiling also records blocking profiles (needs Profiling).
	ContentionProfiling bool
	// Verbosity is klog's -v: 0 logs Info and above, each step one slog level lower,
	// so -v=3 turns on the access log and -v=4 slog's Debug.
	Verbosity int
	// LoggingFormat is "text" (default) or "json".
	LoggingFormat string
	// Logger receives the server's logs and access log; nil uses slog.Default().
	Logger *slog.Logger
	// LogLevel is Logger's live level, which PUT /debug/flags/v changes; nil when the
	// logger was not built by ConfigureLogging.
	LogLevel *slog.LevelVar
	// DisabledMetrics are metric names /metrics leaves out (--disabled-metrics).
	DisabledMetrics []string
	// Flagz returns the command line's flags, name to value, for /flagz; nil
	// shows none.
	Flagz func() map[string]string
	// logWriter is the destination ConfigureLogging logs to, watched by the "log"
	// health check; nil for a logger built elsewhere.
	logWriter *watchedWriter
	// DebugSocketPath, when set, serves the profiling and verbosity endpoints on a
	// unix socket at that path without authentication (--debug-socket-path).
	DebugSocketPath string
}

// profiling reports whether the debug endpoints are served.
func (o *ObservabilityOptions) profiling() bool { return o.Profiling == nil || *o.Profiling }

// verbosityLevel maps a klog verbosity onto a slog level: -v=N logs level -N and up.
func verbosityLevel(v int) slog.Level { return slog.Level(-v) }

// ConfigureLogging builds the logger the flags ask for, writing to w, and makes it
// slog's default so that every package logs through it.
func (o *ObservabilityOptions) ConfigureLogging(w io.Writer) error {
	if o.Verbosity < 0 {
		return fmt.Errorf("invalid value %d for --v: must be 0 or greater", o.Verbosity)
	}
	o.LogLevel = new(slog.LevelVar)
	o.LogLevel.Set(verbosityLevel(o.Verbosity))
	opts := &slog.HandlerOptions{Level: o.LogLevel}
	o.logWriter = &watchedWriter{w: w}
	w = o.logWriter
	var h slog.Handler
	switch o.LoggingFormat {
	case "", "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return fmt.Errorf("invalid value %q for --logging-format: supported formats are text and json", o.LoggingFormat)
	}
	o.Logger = slog.New(h)
	slog.SetDefault(o.Logger)
	return nil
}

// logCheck is the "log" health check: it fails while writing the log has been
// blocked for longer than logBlockedAfter.
func (o *ObservabilityOptions) logCheck(*http.Request) error {
	if o.logWriter == nil {
		return nil
	}
	return o.logWriter.check(logBlockedAfter)
}

func (o *ObservabilityOptions) logger() *slog.Logger {
	if o.Logger != nil {
		return o.Logger
	}
	return slog.Default()
}

// flagz returns the flags /flagz shows.
func (o *ObservabilityOptions) flagz() map[string]string {
	if o.Flagz == nil {
		return map[string]string{}
	}
	return o.Flagz()
}
