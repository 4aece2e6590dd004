package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// The phases (run.go runs crds first).
const (
	phaseConfigMaps = "configmaps"
	phasePods       = "pods"
	phaseList       = "list"
	phaseWatch      = "watch"
	phaseCRDs       = "crds"
)

var allPhases = []string{phaseCRDs, phaseConfigMaps, phasePods, phaseList, phaseWatch}

// errHelp is returned by parseOptions after printing --help.
var errHelp = errors.New("help requested")

// options are the command's flags.
type options struct {
	kubeconfig string
	pid        int
	startKapi  string
	kapiArgs   []string
	scale      float64
	phases     map[string]bool
	clients    int
	settle     time.Duration
	timeout    time.Duration
	keep       bool
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	var only string
	fs := pflag.NewFlagSet("kapi-load", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "kubeconfig of the server to load (default: $KUBECONFIG or ~/.kube/config); ignored with --start-kapi")
	fs.IntVar(&o.pid, "pid", 0, "process id of the server, to sample its memory (VmRSS of /proc/<pid>/status); 0 skips the memory figures")
	fs.StringVar(&o.startKapi, "start-kapi", "", "path of a kapi binary to start on an empty temporary data dir and a free port; measures start time and uses its admin.kubeconfig and pid")
	fs.StringArrayVar(&o.kapiArgs, "kapi-arg", nil, "extra flag for the kapi started by --start-kapi (repeatable)")
	fs.Float64Var(&o.scale, "scale", 1, "multiplier applied to every object, watcher and CRD count (CI uses 0.01)")
	fs.StringVar(&only, "only", "", "comma-separated phases to run: "+strings.Join(allPhases, ",")+" (default all; list implies pods)")
	fs.IntVar(&o.clients, "clients", 32, "parallel clients, each on its own connection, for the create phases")
	fs.DurationVar(&o.settle, "settle", 5*time.Second, "wait before each memory sample, so the server is idle")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Minute, "limit for the whole run")
	fs.BoolVar(&o.keep, "keep", false, "do not delete the namespaces and CRDs the load created (and keep the data dir of --start-kapi)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, errHelp
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if math.IsNaN(o.scale) || o.scale <= 0 || o.scale > 100 {
		return nil, fmt.Errorf("--scale must be in (0, 100], got %v", o.scale)
	}
	if o.clients < 1 || o.clients > 1024 {
		return nil, fmt.Errorf("--clients must be in [1, 1024], got %d", o.clients)
	}
	if o.pid < 0 {
		return nil, fmt.Errorf("--pid must be positive, got %d", o.pid)
	}
	if o.startKapi != "" && o.pid != 0 {
		return nil, errors.New("--pid and --start-kapi exclude each other: the started kapi's pid is used")
	}
	if o.settle < 0 || o.timeout <= 0 {
		return nil, errors.New("--settle must not be negative and --timeout must be positive")
	}
	phases, err := parsePhases(only)
	if err != nil {
		return nil, err
	}
	o.phases = phases
	return o, nil
}

// parsePhases turns --only into a set; empty means every phase. LIST measures the
// Pods the pods phase stores, so list brings pods with it.
func parsePhases(only string) (map[string]bool, error) {
	set := map[string]bool{}
	if strings.TrimSpace(only) == "" {
		for _, p := range allPhases {
			set[p] = true
		}
		return set, nil
	}
	for _, p := range strings.Split(only, ",") {
		p = strings.TrimSpace(p)
		if !slices.Contains(allPhases, p) {
			return nil, fmt.Errorf("unknown phase %q in --only (known: %s)", p, strings.Join(allPhases, ","))
		}
		set[p] = true
	}
	if set[phaseList] {
		set[phasePods] = true
	}
	return set, nil
}
