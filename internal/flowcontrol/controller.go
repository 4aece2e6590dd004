package flowcontrol

import (
	"context"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	flowcontrolv1 "k8s.io/api/flowcontrol/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/controllers/flowcontrolbootstrap"
	"github.com/kapi-dev/kapi/internal/registry"
	"github.com/kapi-dev/kapi/internal/request"
)

// Config configures a Controller.
type Config struct {
	// ServerConcurrencyLimit is --max-requests-inflight + --max-mutating-requests-inflight.
	ServerConcurrencyLimit int
	// FlowSchemas and PriorityLevels are the stores of the configuration objects.
	FlowSchemas, PriorityLevels *registry.Store
	Metrics                     *Metrics
	// BorrowingInterval is how often seats are redistributed (upstream: 10s).
	BorrowingInterval time.Duration
}

// Controller classifies requests and holds the priority levels' seats and queues.
type Controller struct {
	cfg   Config
	drops *retryAfter
	// config is the classification state in force, replaced whole on every change.
	config atomic.Pointer[snapshot]

	// mu guards the fields below.
	mu     sync.Mutex
	fss    map[string]*flowcontrolv1.FlowSchema
	pls    map[string]*flowcontrolv1.PriorityLevelConfiguration
	levels map[string]*level

	changed chan struct{}
	synced  sync.WaitGroup
}

// snapshot is the configuration requests are classified with.
type snapshot struct {
	// schemas are the usable FlowSchemas in matching order; catch-all is last.
	schemas []*flowcontrolv1.FlowSchema
	levels  map[string]levelRef
}

type levelRef struct {
	level *level
	uid   types.UID
}

// New returns a controller that serves the mandatory configuration until Run
// loaded the stored one.
func New(cfg Config) *Controller {
	if cfg.BorrowingInterval == 0 {
		cfg.BorrowingInterval = 10 * time.Second
	}
	c := &Controller{
		cfg:     cfg,
		drops:   newRetryAfter(time.Now),
		fss:     map[string]*flowcontrolv1.FlowSchema{},
		pls:     map[string]*flowcontrolv1.PriorityLevelConfiguration{},
		levels:  map[string]*level{},
		changed: make(chan struct{}, 1),
	}
	c.synced.Add(2)
	c.recompute()
	return c
}

// Run follows the configuration objects and redistributes seats until ctx ends.
func (c *Controller) Run(ctx context.Context) {
	go c.follow(ctx, c.cfg.FlowSchemas)
	go c.follow(ctx, c.cfg.PriorityLevels)
	go c.loop(ctx)
}

// WaitForSync blocks until both resources were loaded once or ctx ends.
func (c *Controller) WaitForSync(ctx context.Context) error {
	done := make(chan struct{})
	go func() { c.synced.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (c *Controller) loop(ctx context.Context) {
	t := time.NewTicker(c.cfg.BorrowingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.changed:
			c.recompute()
			c.syncStatus(ctx)
		case <-t.C:
			c.borrow()
		}
	}
}

func (c *Controller) notify() {
	select {
	case c.changed <- struct{}{}:
	default:
	}
}

// follow mirrors one resource into the controller, re-watching when a watch ends.
func (c *Controller) follow(ctx context.Context, st *registry.Store) {
	first := true
	for ctx.Err() == nil {
		if err := c.watchOnce(ctx, st, &first); err != nil && ctx.Err() == nil {
			slog.Warn("flowcontrol: watch failed, retrying", "resource", st.Resource().Name, "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	if first {
		c.synced.Done()
	}
}

func (c *Controller) watchOnce(ctx context.Context, st *registry.Store, first *bool) error {
	yes := true
	w, err := st.Watch(ctx, "", &metav1.ListOptions{SendInitialEvents: &yes,
		ResourceVersionMatch: metav1.ResourceVersionMatchNotOlderThan, AllowWatchBookmarks: true})
	if err != nil {
		return err
	}
	defer w.Stop()
	seen := map[string]bool{}
	initial := true
	for ev := range w.ResultChan() {
		switch ev.Type {
		case watch.Added, watch.Modified, watch.Deleted:
			name := c.apply(ev.Type, ev.Object)
			if initial {
				seen[name] = true
			}
			if !initial {
				c.notify()
			}
		case watch.Bookmark:
			m, ok := ev.Object.(metav1.Object)
			if initial && ok && m.GetAnnotations()[metav1.InitialEventsAnnotationKey] == "true" {
				initial = false
				c.prune(ev.Object, seen)
				c.notify()
				if *first {
					*first = false
					c.synced.Done()
				}
			}
		case watch.Error:
			return nil
		}
	}
	return nil
}

// apply records one event's object and returns its name.
func (c *Controller) apply(t watch.EventType, obj any) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch o := obj.(type) {
	case *flowcontrolv1.FlowSchema:
		if t == watch.Deleted {
			delete(c.fss, o.Name)
		} else {
			c.fss[o.Name] = o
		}
		return o.Name
	case *flowcontrolv1.PriorityLevelConfiguration:
		if t == watch.Deleted {
			delete(c.pls, o.Name)
		} else {
			c.pls[o.Name] = o
		}
		return o.Name
	}
	return ""
}

// prune drops the objects of the bookmark's kind that the initial events left out.
func (c *Controller) prune(bookmark any, keep map[string]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch bookmark.(type) {
	case *flowcontrolv1.FlowSchema:
		for name := range c.fss {
			if !keep[name] {
				delete(c.fss, name)
			}
		}
	case *flowcontrolv1.PriorityLevelConfiguration:
		for name := range c.pls {
			if !keep[name] {
				delete(c.pls, name)
			}
		}
	}
}

// recompute builds a new snapshot from the objects: levels get their bounds and
// queues, schemas referring to a missing level are left out, and a missing
// mandatory object is imagined from the bootstrap one.
func (c *Controller) recompute() {
	c.mu.Lock()
	defer c.mu.Unlock()
	mandatory := flowcontrolbootstrap.Mandatory()
	pls := make([]*flowcontrolv1.PriorityLevelConfiguration, 0, len(c.pls)+2)
	for _, pl := range c.pls {
		pls = append(pls, pl)
	}
	for _, pl := range mandatory.PriorityLevels {
		if c.pls[pl.Name] == nil {
			pls = append(pls, pl)
		}
	}
	sum := shareSum(pls)
	next := &snapshot{levels: map[string]levelRef{}}
	for _, pl := range pls {
		l, existed := c.levels[pl.Name]
		if !existed {
			l = newLevel(pl.Name, c.cfg.Metrics)
			c.levels[pl.Name] = l
		}
		l.configure(pl, levelLimits(pl, c.cfg.ServerConcurrencyLimit, sum), !existed)
		next.levels[pl.Name] = levelRef{level: l, uid: pl.UID}
	}
	// Levels no longer configured live on until their requests are done.
	for name, l := range c.levels {
		if _, ok := next.levels[name]; !ok && l.idle() {
			delete(c.levels, name)
		}
	}
	var haveExempt, haveCatchAll bool
	for _, fs := range c.fss {
		if _, ok := next.levels[fs.Spec.PriorityLevelConfiguration.Name]; !ok {
			continue
		}
		next.schemas = append(next.schemas, fs)
		haveExempt = haveExempt || fs.Name == flowcontrolv1.FlowSchemaNameExempt
		haveCatchAll = haveCatchAll || fs.Name == flowcontrolv1.FlowSchemaNameCatchAll
	}
	slices.SortFunc(next.schemas, func(a, b *flowcontrolv1.FlowSchema) int {
		if a.Spec.MatchingPrecedence != b.Spec.MatchingPrecedence {
			return int(a.Spec.MatchingPrecedence) - int(b.Spec.MatchingPrecedence)
		}
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	for _, fs := range mandatory.FlowSchemas {
		switch {
		case fs.Name == flowcontrolv1.FlowSchemaNameExempt && !haveExempt:
			next.schemas = append([]*flowcontrolv1.FlowSchema{fs}, next.schemas...)
		case fs.Name == flowcontrolv1.FlowSchemaNameCatchAll && !haveCatchAll:
			next.schemas = append(next.schemas, fs)
		}
	}
	c.config.Store(next)
}

// borrow redistributes the server's seats among the limited levels by their
// recent demand, within each level's lower and upper bounds.
func (c *Controller) borrow() {
	c.mu.Lock()
	levels := make([]*level, 0, len(c.levels))
	for _, l := range c.levels {
		levels = append(levels, l)
	}
	c.mu.Unlock()
	var items []allocItem
	var limited []*level
	total, minSum, minCurrentSum := 0, 0, 0
	for _, l := range levels {
		peak, smoothed, lim, exempt := l.borrowingRound()
		total += lim.nominal
		if exempt {
			total -= max(lim.min, peak)
			continue
		}
		minCurrent := max(lim.min, min(lim.nominal, peak))
		items = append(items, allocItem{lower: float64(minCurrent), upper: float64(lim.max), target: max(float64(minCurrent), smoothed)})
		limited = append(limited, l)
		minSum += lim.min
		minCurrentSum += minCurrent
	}
	if total <= minSum || total <= minCurrentSum {
		// Not enough for everyone's demand: each keeps its guaranteed seats plus a
		// share of the rest.
		frac := 0.0
		if total > minSum && minCurrentSum > minSum {
			frac = float64(total-minSum) / float64(minCurrentSum-minSum)
		}
		for i, l := range limited {
			lo := int(items[i].lower)
			l.mu.Lock()
			guaranteed := l.lim.min
			l.mu.Unlock()
			l.setCurrent(guaranteed + int(float64(lo-guaranteed)*frac+0.5))
		}
		return
	}
	allocs := allocate(float64(total), items)
	for i, l := range limited {
		l.setCurrent(int(allocs[i] + 0.5))
	}
}

// Classification is where a request was classified.
type Classification struct {
	FlowSchema, PriorityLevel       string
	FlowSchemaUID, PriorityLevelUID types.UID
}

// classify finds the first schema matching the request.
func (c *Controller) classify(u *request.User, info *request.Info) (*flowcontrolv1.FlowSchema, levelRef) {
	s := c.config.Load()
	for _, fs := range s.schemas {
		if matches(fs, u, info) {
			return fs, s.levels[fs.Spec.PriorityLevelConfiguration.Name]
		}
	}
	// Only a user in neither system:authenticated nor system:unauthenticated gets
	// here; catch-all is always last.
	fs := s.schemas[len(s.schemas)-1]
	return fs, s.levels[fs.Spec.PriorityLevelConfiguration.Name]
}

// Admit classifies the request and waits for a seat at its level for at most
// waitLimit. It returns the classification and either release, to call when the
// request no longer needs its seat, or the reason it was rejected.
func (c *Controller) Admit(ctx context.Context, u *request.User, info *request.Info, waitLimit time.Duration) (Classification, func(), string) {
	fs, ref := c.classify(u, info)
	cls := Classification{FlowSchema: fs.Name, FlowSchemaUID: fs.UID, PriorityLevel: ref.level.name, PriorityLevelUID: ref.uid}
	hash := flowHash(fs.Name, flowDistinguisher(fs, u, info))
	release, reason := ref.level.acquire(ctx, fs.Name, hash, waitLimit)
	if release == nil {
		c.cfg.Metrics.reject(ref.level.name, fs.Name, reason)
		c.drops.dropped(ref.level.name)
	}
	return cls, release, reason
}

// RetryAfter is the Retry-After, in seconds, of a request rejected at level.
func (c *Controller) RetryAfter(level string) int64 { return c.drops.seconds(level) }
