package audit

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// The formats of --audit-log-format.
const (
	FormatJSON   = "json"
	FormatLegacy = "legacy"
)

// LogPluginName labels the log backend's errors.
const LogPluginName = "log"

// LogBackend writes one line per event to a writer.
type LogBackend struct {
	format  string
	metrics *Metrics

	// mu serialises writes so that lines never interleave.
	mu  sync.Mutex
	out io.Writer
}

// NewLogBackend writes events to out in format (FormatJSON or FormatLegacy); out is
// closed by Shutdown when it is an io.Closer.
func NewLogBackend(out io.Writer, format string, m *Metrics) (*LogBackend, error) {
	if format != FormatJSON && format != FormatLegacy {
		return nil, fmt.Errorf("invalid audit log format %s, allowed formats are %q", format, FormatLegacy+","+FormatJSON)
	}
	return &LogBackend{out: out, format: format, metrics: m}, nil
}

// ProcessEvents implements Backend.
func (b *LogBackend) ProcessEvents(events ...*Event) bool {
	ok := true
	for _, e := range events {
		var line []byte
		if b.format == FormatLegacy {
			line = []byte(legacyLine(e))
		} else {
			var err error
			if line, err = json.Marshal(e); err != nil {
				b.fail(err, 1)
				ok = false
				continue
			}
			line = append(line, '\n')
		}
		b.mu.Lock()
		_, err := b.out.Write(line)
		b.mu.Unlock()
		if err != nil {
			b.fail(err, 1)
			ok = false
		}
	}
	return ok
}

func (b *LogBackend) fail(err error, n int) {
	b.metrics.ObserveError(LogPluginName, n)
	slog.Error("audit log backend lost events", "events", n, "err", err)
}

// Shutdown implements Backend: it closes the writer if it is a file of ours.
func (b *LogBackend) Shutdown() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.out.(io.Closer); ok {
		_ = c.Close()
	}
}
