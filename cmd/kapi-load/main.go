// Command kapi-load measures a kube-apiserver-compatible server: start time, memory,
// create throughput, GET and LIST latency, watch fan-out and CRD registration. It
// prints one "name value unit" line per figure on stdout (progress goes to stderr)
// and exits non-zero when a phase fails. See "Measuring performance" in the README.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(mainCode(os.Args[1:]))
}

// mainCode parses args, runs the load and returns the process exit code.
func mainCode(args []string) int {
	opts, err := parseOptions(args, os.Stderr)
	if err != nil {
		if err == errHelp {
			return 0
		}
		fmt.Fprintln(os.Stderr, "kapi-load:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, opts.timeout)
	defer cancel()
	if err := run(ctx, opts, &reporter{out: os.Stdout}, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "kapi-load:", err)
		return 1
	}
	return 0
}
