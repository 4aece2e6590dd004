package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"k8s.io/client-go/rest"
)

// runLabel marks everything one run creates, so cleanup finds it.
const runLabel = "kapi-load.kapi.dev/run"

// load is the state shared by the phases of one run.
type load struct {
	opts   *options
	out    *reporter
	log    io.Writer
	base   *rest.Config
	pid    int    // 0: no memory figures
	runID  string // 6 hex characters, in every name this run creates
	podsNS string // set by the pods phase for the list phase
	pods   int    // how many Pods the pods phase stored

	namespaces []string // created, deleted at the end
	crdNames   []string // created, deleted at the end
}

// run starts kapi when asked, then runs the chosen phases in order and cleans up.
func run(ctx context.Context, opts *options, out *reporter, log io.Writer) (err error) {
	l := &load{opts: opts, out: out, log: log, pid: opts.pid, runID: randomID()}
	if opts.startKapi != "" {
		p, took, err := startKapi(ctx, opts.startKapi, opts.kapiArgs, 2*time.Minute)
		if err != nil {
			return err
		}
		defer func() {
			if opts.keep {
				fmt.Fprintf(log, "# kept the data dir %s\n", p.dataDir)
			}
			if stopErr := p.stop(opts.keep); stopErr != nil && err == nil {
				err = stopErr
			}
		}()
		out.figure("start_to_ready_seconds", took.Seconds(), "s")
		l.pid = p.pid()
		if l.base, err = loadConfig(p.kubeconfig); err != nil {
			return err
		}
	} else if l.base, err = loadConfig(opts.kubeconfig); err != nil {
		return err
	}
	if err := l.sampleRSS(ctx, "idle_rss_mib"); err != nil {
		return err
	}
	if !opts.keep && opts.startKapi == "" {
		// A started kapi's data dir goes away with it; a server we were pointed at
		// gets back what we took from it.
		defer func() {
			if cleanErr := l.cleanup(); cleanErr != nil && err == nil {
				err = cleanErr
			}
		}()
	}
	phases := []struct {
		name string
		run  func(context.Context) error
	}{
		// CRDs go first: their RSS baseline must be the idle server, not the
		// garbage the LIST and watch phases leave for the Go runtime to hand back.
		{phaseCRDs, l.registerCRDs},
		{phaseConfigMaps, l.configMaps},
		{phasePods, l.createPods},
		{phaseList, l.listPods},
		{phaseWatch, l.watchFanOut},
	}
	for _, p := range phases {
		if !opts.phases[p.name] {
			continue
		}
		fmt.Fprintf(log, "# phase %s (scale %v)\n", p.name, opts.scale)
		if err := p.run(ctx); err != nil {
			return fmt.Errorf("phase %s: %w", p.name, err)
		}
	}
	return nil
}

// sampleRSS waits --settle and prints the server's RSS under name (which ends in
// _mib) and its anonymous part under name with _anon_mib, when a pid is known.
func (l *load) sampleRSS(ctx context.Context, name string) error {
	if l.pid == 0 {
		return nil
	}
	m, err := l.memoryAfterSettle(ctx)
	if err != nil {
		return err
	}
	l.out.figure(name, mib(m.rss), "MiB")
	l.out.figure(strings.TrimSuffix(name, "_mib")+"_anon_mib", mib(m.anon), "MiB")
	return nil
}

// memoryAfterSettle waits --settle, then reads the server's resident memory.
func (l *load) memoryAfterSettle(ctx context.Context) (memory, error) {
	if err := sleep(ctx, l.opts.settle); err != nil {
		return memory{}, err
	}
	return readMemory(l.pid)
}

// count is a full-scale count under --scale.
func (l *load) count(full int) int { return scaled(full, l.opts.scale) }

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func randomID() string {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// errShort is wrapped by checks of item counts the server returned.
var errShort = errors.New("the server returned fewer objects than were created")
