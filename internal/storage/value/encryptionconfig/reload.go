package encryptionconfig

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

const (
	// DefaultReloadInterval is how often upstream looks at the file for changes.
	DefaultReloadInterval = time.Minute
	// minKMSHealthWait bounds from below how long a reload waits for new KMS
	// providers to be healthy before giving up on the new file.
	minKMSHealthWait = 10 * time.Second
	// healthPollInterval is how often a new configuration's health is asked meanwhile.
	healthPollInterval = 100 * time.Millisecond
)

// Reloader polls the configuration file and puts a changed, valid and healthy
// configuration in force. A bad file is reported and the old configuration stays;
// the file is tried again at the next poll.
type Reloader struct {
	Path     string
	Interval time.Duration
	Target   *Transformers
	Options  Options
	// lastHash is the hash of the configuration in force; only the Run goroutine
	// touches it.
	lastHash string
}

// NewReloader watches path for target, whose configuration came from a file with
// the given hash.
func NewReloader(path string, interval time.Duration, target *Transformers, opts Options) *Reloader {
	if interval <= 0 {
		interval = DefaultReloadInterval
	}
	r := &Reloader{Path: path, Interval: interval, Target: target, Options: opts}
	if b := target.Current(); b != nil {
		r.lastHash = b.Hash
	}
	return r
}

// Run polls until ctx ends. The configuration in force stays its caller's to close.
func (r *Reloader) Run(ctx context.Context) {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := r.ReloadOnce(ctx); err != nil {
			slog.Error("error processing encryption config file", "file", r.Path, "err", err)
		}
	}
}

// ReloadOnce loads the file if its content changed and puts it in force; changed
// reports whether it did. The replaced configuration's KMS providers are closed
// after a grace period, so that requests in flight can finish with them.
func (r *Reloader) ReloadOnce(ctx context.Context) (changed bool, err error) {
	_, hash, err := readFile(r.Path)
	if err != nil {
		return false, err
	}
	if hash == r.lastHash {
		return false, nil
	}
	next, err := LoadFile(ctx, r.Path, true, r.Options)
	if err != nil {
		return false, err
	}
	if next.Hash == r.lastHash {
		next.Close()
		return false, nil
	}
	if err := waitHealthy(ctx, next); err != nil {
		next.Close()
		return false, err
	}
	old := r.Target.Swap(next)
	r.lastHash = next.Hash
	slog.Info("loaded new encryption provider configuration", "file", r.Path, "hash", next.Hash)
	if old != nil {
		go closeAfter(ctx, old, old.closeGrace)
	}
	return true, nil
}

// waitHealthy polls the new configuration's health check until it passes, for at
// least 10 seconds or the KMS close grace period.
func waitHealthy(ctx context.Context, b *Built) error {
	wait := b.closeGrace
	if wait < minKMSHealthWait {
		wait = minKMSHealthWait
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var last error
	for {
		if last = b.Check(ctx); last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("health check for new transformers failed, polling error %v: %w", ctx.Err(), last)
		case <-time.After(healthPollInterval):
		}
	}
}

func closeAfter(ctx context.Context, b *Built, grace time.Duration) {
	t := time.NewTimer(grace)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
	b.Close()
}
