package server

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"runtime"
	"time"
)

// serveDebugSocket serves the debug endpoints without authentication or
// authorization on the unix socket at path (--debug-socket-path), whatever
// --profiling says, as upstream does: whoever may open the socket file may use
// them. A stale socket file is replaced; the listener removes the file when ctx
// ends.
func serveDebugSocket(ctx context.Context, path string, cfg *ObservabilityOptions) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("removing the old debug socket: %w", err)
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return fmt.Errorf("listening on the debug socket: %w", err)
	}
	if cfg.ContentionProfiling {
		runtime.SetBlockProfileRate(1)
	}
	mux := http.NewServeMux()
	installDebug(mux, cfg.LogLevel)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 32 * time.Second}
	stop := context.AfterFunc(ctx, func() { srv.Close() })
	go func() {
		defer stop()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			slog.Error("debug socket stopped", "path", path, "err", err)
		}
	}()
	return nil
}
