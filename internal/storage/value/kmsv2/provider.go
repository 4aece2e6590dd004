package kmsv2

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	utilerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/apimachinery/pkg/util/uuid"
)

// Timings of kube-apiserver's KMS v2 provider.
const (
	// healthyTTL and unhealthyTTL: how long a Status outcome answers health checks.
	healthyTTL   = 20 * time.Second
	unhealthyTTL = 3 * time.Second
	// pollHealthy and pollUnhealthy: how often Status is polled in the background.
	pollHealthy   = time.Minute
	pollUnhealthy = 10 * time.Second
	// writeDEKMaxTTL: how long after the last healthy Status the DEK may still encrypt.
	writeDEKMaxTTL = 3 * time.Minute
)

// APIVersion values a plugin's Status may report.
const (
	APIVersionV2      = "v2"
	APIVersionV2beta1 = "v2beta1"
)

// Config names a plugin and how to reach it.
type Config struct {
	// Name is the provider's name in the EncryptionConfiguration; values carry it in
	// their prefix.
	Name string
	// Endpoint is the plugin's unix:// socket.
	Endpoint string
	// Timeout bounds each call to the plugin.
	Timeout time.Duration
	// Now is the clock; nil means time.Now. Tests move it to expire DEKs and checks.
	Now func() time.Time
}

// Provider is one KMS v2 provider: its plugin connection, current DEK, the cache of
// DEKs it decrypted, and the health probe that rotates the DEK. It is the
// transformer of its values (without their prefix). Safe for concurrent use.
type Provider struct {
	name    string
	service Service
	now     func() time.Time
	cache   *dekCache
	// state is the current write DEK; nil until the first healthy Status.
	state atomic.Pointer[dekState]

	// mu guards the last Status outcome and the plugin's API version.
	mu        sync.Mutex
	lastErr   error
	lastCheck time.Time
	ttl       time.Duration
	version   string

	// stop ends the poller, done closes when it has.
	stop context.CancelFunc
	done chan struct{}
}

// New connects to the plugin, asks its Status once (a failure leaves the provider
// unhealthy, not broken: the poller keeps asking) and starts polling it until ctx
// ends or Close is called.
func New(ctx context.Context, cfg Config) (*Provider, error) {
	svc, err := Dial(cfg.Endpoint, cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("could not configure KMSv2-Plugin's probe %q, error: %w", cfg.Name, err)
	}
	return NewWithService(ctx, cfg.Name, svc, cfg.Now), nil
}

// NewWithService is New over an already connected service.
func NewWithService(ctx context.Context, name string, svc Service, now func() time.Time) *Provider {
	if now == nil {
		now = time.Now
	}
	p := &Provider{name: name, service: svc, now: now, cache: newDEKCache(now), ttl: unhealthyTTL, done: make(chan struct{})}
	ctx, p.stop = context.WithCancel(ctx)
	err := p.checkAndLog(ctx)
	go p.poll(ctx, err == nil)
	return p
}

// Name is the provider's configured name.
func (p *Provider) Name() string { return p.name }

// Prefix is what every value of this provider starts with.
func (p *Provider) Prefix() string { return "k8s:enc:kms:v2:" + p.name + ":" }

// Close stops the poller and closes the plugin connection.
func (p *Provider) Close() {
	p.stop()
	<-p.done
	_ = p.service.Close()
}

func (p *Provider) poll(ctx context.Context, healthy bool) {
	defer close(p.done)
	for {
		interval := pollHealthy
		if !healthy {
			interval = pollUnhealthy
		}
		t := time.NewTimer(interval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		healthy = p.checkAndLog(ctx) == nil
	}
}

func (p *Provider) checkAndLog(ctx context.Context) error {
	err := p.Check(ctx)
	if err != nil && ctx.Err() == nil {
		slog.Warn("kms plugin failed health check probe", "name", p.name, "err", err)
	}
	return err
}

// Check is the provider's health check: the plugin's Status must be healthy, speak
// v2 and name a valid key id; a new key id rotates the DEK, an unchanged one extends
// how long the DEK may encrypt. The outcome is reused for 20s (3s after a failure).
func (p *Provider) Check(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.lastCheck.IsZero() && p.now().Sub(p.lastCheck) < p.ttl {
		return p.lastErr
	}
	err := p.checkStatus(ctx)
	p.lastErr, p.lastCheck, p.ttl = err, p.now(), healthyTTL
	if err != nil {
		p.ttl = unhealthyTTL
	}
	return err
}

// checkStatus asks Status and acts on it; p.mu is held.
func (p *Provider) checkStatus(ctx context.Context) error {
	st, err := p.service.Status(ctx)
	if err != nil {
		return fmt.Errorf("failed to perform status section of the healthz check for KMS Provider %s, error: %w", p.name, err)
	}
	var errs []error
	if st.Healthz != "ok" {
		errs = append(errs, fmt.Errorf("got unexpected healthz status: %s", st.Healthz))
	}
	if st.Version != APIVersionV2 && st.Version != APIVersionV2beta1 {
		errs = append(errs, fmt.Errorf("expected KMSv2 API version %s, got %s", APIVersionV2, st.Version))
	} else {
		if p.version == "" {
			p.version = st.Version
		}
		if p.version != st.Version {
			errs = append(errs, fmt.Errorf("KMSv2 API version should not change after the initial status response version %s, got %s", p.version, st.Version))
		}
	}
	if err := validateKeyID(st.KeyId); err != nil {
		errs = append(errs, fmt.Errorf("got invalid KMSv2 KeyID hash %q: %w", keyIDHash(st.KeyId), err))
	} else if err := p.rotateDEKIfNeeded(ctx, st.KeyId); err != nil {
		errs = append(errs, err)
	}
	if err := utilerrors.Reduce(utilerrors.NewAggregate(errs)); err != nil {
		return fmt.Errorf("kmsv2 Provider %s is not healthy, error: %w", p.name, err)
	}
	return nil
}

// rotateDEKIfNeeded keeps the DEK while the plugin's key id is the one it was
// encrypted under (extending its write deadline), and otherwise makes a new seed and
// has the plugin encrypt it. The new DEK is taken only if the plugin encrypted it
// under the key id Status reported.
func (p *Provider) rotateDEKIfNeeded(ctx context.Context, statusKeyID string) error {
	expires := p.now().Add(writeDEKMaxTTL)
	cur, errState := p.currentState()
	if errState == nil && cur.keyID == statusKeyID && cur.sourceType == DEKSourceHKDFSeed {
		next := *cur
		next.expires = expires
		p.state.Store(&next)
		return nil
	}
	uid := string(uuid.NewUUID())
	next, errGen := generateDEK(ctx, uid, p.service)
	if errGen == nil && next.keyID == statusKeyID {
		next.expires = expires
		p.state.Store(next)
		return nil
	}
	var encryptKeyID, stateKeyID string
	if next != nil {
		encryptKeyID = next.keyID
	}
	if cur != nil {
		stateKeyID = cur.keyID
	}
	if errGen == nil {
		errGen = errors.New("the key id of Encrypt differs from the key id of Status")
	}
	return fmt.Errorf("failed to rotate DEK uid=%q, useSeed=true, errState=%v, errGen=%v, statusKeyIDHash=%q, encryptKeyIDHash=%q, stateKeyIDHash=%q, expirationTimestamp=%s",
		uid, errState, errGen, keyIDHash(statusKeyID), keyIDHash(encryptKeyID), keyIDHash(stateKeyID), expires.Format(time.RFC3339))
}

// currentState returns the write DEK, or why there is none.
func (p *Provider) currentState() (*dekState, error) {
	st := p.state.Load()
	if st == nil || st.transformer == nil {
		return nil, errors.New("got unexpected nil transformer")
	}
	return st, nil
}
