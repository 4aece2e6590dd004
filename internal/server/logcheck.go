package server

import (
	"errors"
	"io"
	"sync/atomic"
	"time"
)

// logBlockedAfter is how long one write of the log may take before the "log" health
// check fails: a log destination that stopped reading (a full pipe to a stalled
// collector) blocks every goroutine that logs, as upstream's check guards against.
const logBlockedAfter = time.Minute

// watchedWriter is the log's destination, noting when the write in progress began.
type watchedWriter struct {
	w io.Writer
	// writingSince is the start of the write in progress (Unix nanoseconds), 0
	// when none is. The log handlers serialize their writes.
	writingSince atomic.Int64
}

func (l *watchedWriter) Write(p []byte) (int, error) {
	l.writingSince.Store(time.Now().UnixNano())
	defer l.writingSince.Store(0)
	return l.w.Write(p)
}

var errLogBlocked = errors.New("logging blocked")

// check fails while a write has been in progress for longer than blockedAfter.
func (l *watchedWriter) check(blockedAfter time.Duration) error {
	since := l.writingSince.Load()
	if since != 0 && time.Since(time.Unix(0, since)) > blockedAfter {
		return errLogBlocked
	}
	return nil
}
