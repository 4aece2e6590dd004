package authn

import (
	"bytes"
	"crypto/x509"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// CABundleFile is a PEM bundle of CA certificates read from a file and read again
// when its content changes (checked at most once per interval, when used), as
// upstream's dynamic CA content. A bundle that no longer parses keeps the last
// good one.
type CABundleFile struct {
	path     string
	interval time.Duration

	current   atomic.Pointer[caBundle]
	lastCheck atomic.Int64
	// reloadMu serializes reloads; a caller that finds it held does not wait.
	reloadMu sync.Mutex
}

type caBundle struct {
	pem  []byte
	pool *x509.CertPool
}

// NewCABundleFile reads path, which must hold at least one PEM certificate.
func NewCABundleFile(path string, interval time.Duration) (*CABundleFile, error) {
	if interval <= 0 {
		interval = time.Minute
	}
	f := &CABundleFile{path: path, interval: interval}
	b, err := f.read()
	if err != nil {
		return nil, err
	}
	f.current.Store(b)
	f.lastCheck.Store(time.Now().UnixNano())
	return f, nil
}

func (f *CABundleFile) read() (*caBundle, error) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, fmt.Errorf("%s holds no PEM certificates", f.path)
	}
	return &caBundle{pem: data, pool: pool}, nil
}

// Pool returns the current certificate pool; callers do not modify it.
func (f *CABundleFile) Pool() *x509.CertPool {
	f.maybeReload()
	return f.current.Load().pool
}

// PEM returns the current bundle as read.
func (f *CABundleFile) PEM() []byte {
	f.maybeReload()
	return f.current.Load().pem
}

func (f *CABundleFile) maybeReload() {
	if time.Since(time.Unix(0, f.lastCheck.Load())) < f.interval || !f.reloadMu.TryLock() {
		return
	}
	defer f.reloadMu.Unlock()
	f.lastCheck.Store(time.Now().UnixNano())
	b, err := f.read()
	if err != nil {
		slog.Warn("keeping the CA bundle: reading it failed", "file", f.path, "err", err)
		return
	}
	if !bytes.Equal(b.pem, f.current.Load().pem) {
		f.current.Store(b)
		slog.Info("reloaded CA bundle", "file", f.path)
	}
}
