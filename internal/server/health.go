package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/kapi-dev/kapi/internal/metrics"
)

// healthCheck is one named check of /healthz, /livez or /readyz.
type healthCheck struct {
	name  string
	check func(r *http.Request) error
}

// healthHandler serves one health endpoint with upstream's plain-text format:
// "ok", or with ?verbose a line per check; ?exclude=<name> skips a check, and
// /<endpoint>/<name> runs one check alone. The checks run for the whole endpoint
// are recorded in slis, as upstream records them.
func healthHandler(endpoint string, checks []healthCheck, slis *metrics.HealthSLIs) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sub := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/"+endpoint), "/")
		if sub != "" {
			for _, c := range checks {
				if c.name == sub {
					if err := c.check(r); err != nil {
						http.Error(w, fmt.Sprintf("internal server error: %v", err), http.StatusInternalServerError)
						return
					}
					writePlain(w, http.StatusOK, "ok")
					return
				}
			}
			http.NotFound(w, r)
			return
		}
		excluded := map[string]bool{}
		for _, e := range r.URL.Query()["exclude"] {
			excluded[strings.TrimSpace(e)] = true
		}
		var b strings.Builder
		failed := false
		for _, c := range checks {
			if excluded[c.name] {
				fmt.Fprintf(&b, "[+]%s excluded: ok\n", c.name)
				delete(excluded, c.name)
				continue
			}
			err := c.check(r)
			slis.Observe(c.name, endpoint, err == nil)
			if err != nil {
				failed = true
				fmt.Fprintf(&b, "[-]%s failed: reason withheld\n", c.name)
			} else {
				fmt.Fprintf(&b, "[+]%s ok\n", c.name)
			}
		}
		if len(excluded) > 0 {
			names := make([]string, 0, len(excluded))
			for n := range excluded {
				names = append(names, n)
			}
			sort.Strings(names)
			fmt.Fprintf(&b, "warn: some health checks cannot be excluded: no matches for %s\n", quoteAll(names))
		}
		_, verbose := r.URL.Query()["verbose"]
		if failed {
			writePlain(w, http.StatusInternalServerError, b.String()+endpoint+" check failed\n")
			return
		}
		if verbose {
			writePlain(w, http.StatusOK, b.String()+endpoint+" check passed\n")
			return
		}
		writePlain(w, http.StatusOK, "ok")
	})
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ",")
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}

func ping(*http.Request) error { return nil }

// etcdCheck reads a key within timeout (0 means upstream's 2 s) to prove etcd
// answers. As upstream's, it probes at most once per half timeout and answers
// checks in between with the last probe's result, so that health probes at any rate
// cost etcd at most two reads a timeout; each endpoint's check of that name shares it.
func etcdCheck(c *clientv3.Client, timeout time.Duration) func(*http.Request) error {
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	p := &rateLimitedProbe{interval: timeout / 2, last: errNotProbed, probe: func() error {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		_, err := c.Get(ctx, "health", clientv3.WithCountOnly())
		return err
	}}
	return func(*http.Request) error { return p.check(time.Now()) }
}

// errNotProbed answers a check while the first probe is still on its way.
var errNotProbed = errors.New("etcd not probed yet")

// rateLimitedProbe runs probe at most once per interval.
type rateLimitedProbe struct {
	interval time.Duration
	probe    func() error

	mu sync.Mutex
	// next is when the next probe may start.
	next time.Time
	// last is the result of the latest-started probe that finished, started at
	// lastStart.
	last      error
	lastStart time.Time
}

// check probes, or within interval of the last probe's start returns the last
// result.
func (p *rateLimitedProbe) check(now time.Time) error {
	p.mu.Lock()
	if now.Before(p.next) {
		err := p.last
		p.mu.Unlock()
		return err
	}
	p.next = now.Add(p.interval)
	p.mu.Unlock()
	err := p.probe()
	p.mu.Lock()
	defer p.mu.Unlock()
	if !now.Before(p.lastStart) {
		p.last, p.lastStart = err, now
	}
	return err
}

// flagCheck passes while flag is true and fails with notSet otherwise.
func flagCheck(flag *atomic.Bool, notSet error) func(*http.Request) error {
	return func(*http.Request) error {
		if !flag.Load() {
			return notSet
		}
		return nil
	}
}

// delayedCheck passes within grace after started whatever check says, as
// upstream's /livez treats its start-up hooks (--livez-grace-period).
func delayedCheck(check func(*http.Request) error, started time.Time, grace time.Duration) func(*http.Request) error {
	if grace <= 0 {
		return check
	}
	return func(r *http.Request) error {
		if time.Since(started) < grace {
			return nil
		}
		return check(r)
	}
}
