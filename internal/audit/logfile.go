package audit

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// LogFileOptions are the --audit-log-path rotation flags.
type LogFileOptions struct {
	// Path is the log file; "-" is standard output.
	Path string
	// MaxAge is the days rotated files are kept (0: forever).
	MaxAge int
	// MaxBackups is how many rotated files are kept (0: all).
	MaxBackups int
	// MaxSize is the size in megabytes that triggers rotation (0: never rotate).
	MaxSize int
	// Compress gzips rotated files.
	Compress bool
}

// OpenLogFile returns the writer of o: standard output (never closed), the file
// opened for appending, or a rotating writer when MaxSize is set. The file is created
// 0600 in a 0700 directory as upstream does.
func OpenLogFile(o LogFileOptions) (io.Writer, error) {
	if o.Path == "-" {
		return nopCloser{os.Stdout}, nil
	}
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return nil, fmt.Errorf("ensureLogFile: %w", err)
	}
	f, err := os.OpenFile(o.Path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("ensureLogFile: %w", err)
	}
	if o.MaxSize == 0 {
		return f, nil
	}
	_ = f.Close()
	return &lumberjack.Logger{Filename: o.Path, MaxAge: o.MaxAge, MaxBackups: o.MaxBackups,
		MaxSize: o.MaxSize, Compress: o.Compress}, nil
}

// nopCloser keeps Shutdown from closing standard output.
type nopCloser struct{ io.Writer }
