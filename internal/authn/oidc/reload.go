package oidc

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

// reloadTimeout bounds one reload, discovery of the new issuers included.
const reloadTimeout = 30 * time.Second

// FileAuthenticator serves the JWT authenticators of an --authentication-config
// file and builds them again when the file changes: checked at most once per
// interval, on a token's arrival, in the background. As upstream, a new
// configuration replaces the old one only when it is valid and every issuer's
// discovery succeeds; otherwise the old one stays and the next check tries again.
type FileAuthenticator struct {
	path     string
	opts     Options
	interval time.Duration

	current   atomic.Pointer[Authenticator]
	lastCheck atomic.Int64
	reloading atomic.Bool

	// mu serializes reloads and guards data.
	mu sync.Mutex
	// data is the content current was built from.
	data []byte
}

// NewFileAuthenticator reads, validates and builds the file's configuration; a
// file that is not valid is an error. interval 0 means a minute.
func NewFileAuthenticator(path string, opts Options, interval time.Duration) (*FileAuthenticator, error) {
	if interval <= 0 {
		interval = time.Minute
	}
	cfg, data, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	a, err := New(cfg, opts)
	if err != nil {
		return nil, err
	}
	f := &FileAuthenticator{path: path, opts: opts, interval: interval, data: data}
	f.current.Store(a)
	f.lastCheck.Store(time.Now().UnixNano())
	return f, nil
}

// Config returns the configuration in force (for its anonymous section).
func (f *FileAuthenticator) Config() (*AuthenticationConfiguration, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return ParseConfig(f.data)
}

// AuthenticateToken implements authn.TokenAuthenticator.
func (f *FileAuthenticator) AuthenticateToken(ctx context.Context, token string) (*request.User, bool, error) {
	f.maybeReload()
	return f.current.Load().AuthenticateToken(ctx, token)
}

// maybeReload starts a reload in the background when the interval has passed; the
// goroutine ends within reloadTimeout.
func (f *FileAuthenticator) maybeReload() {
	if time.Since(time.Unix(0, f.lastCheck.Load())) < f.interval || !f.reloading.CompareAndSwap(false, true) {
		return
	}
	f.lastCheck.Store(time.Now().UnixNano())
	go func() {
		defer f.reloading.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), reloadTimeout)
		defer cancel()
		if err := f.Reload(ctx); err != nil {
			slog.Error("keeping the authentication configuration: reloading it failed", "file", f.path, "err", err)
		}
	}()
}

// Reload reads the file now and, when its content changed, builds and checks the
// new authenticators and swaps them in.
func (f *FileAuthenticator) Reload(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	data, err := os.ReadFile(f.path)
	if err != nil {
		return err
	}
	if bytes.Equal(data, f.data) {
		return nil
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		return err
	}
	next, err := New(cfg, f.opts)
	if err != nil {
		return err
	}
	if err := next.Ready(ctx); err != nil {
		next.close()
		return fmt.Errorf("the new JWT authenticators are not ready: %w", err)
	}
	old := f.current.Swap(next)
	f.data = data
	old.close()
	slog.Info("loaded a new authentication configuration", "file", f.path)
	return nil
}
