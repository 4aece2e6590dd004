package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// memory is a process's resident memory in bytes, from /proc/<pid>/status.
type memory struct {
	// rss is VmRSS, the figure `ps` and `top` show: anonymous memory plus the
	// mapped pages of files (the executable's among them) and shared memory.
	rss int64
	// anon is RssAnon, the anonymous part: heap, stacks and other memory that only
	// the process holds.
	anon int64
}

// readMemory returns the resident memory of process pid.
func readMemory(pid int) (memory, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return memory{}, fmt.Errorf("reading the memory of pid %d: %w", pid, err)
	}
	defer f.Close()
	return parseStatus(f)
}

// parseStatus reads the "VmRSS:   1234 kB" and "RssAnon:   1000 kB" lines of a
// /proc status file.
func parseStatus(r io.Reader) (memory, error) {
	var m memory
	var sawRSS, sawAnon bool
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		var into *int64
		switch {
		case !ok:
			continue
		case name == "VmRSS":
			into, sawRSS = &m.rss, true
		case name == "RssAnon":
			into, sawAnon = &m.anon, true
		default:
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 || fields[1] != "kB" {
			return memory{}, fmt.Errorf("unexpected %s line %q", name, sc.Text())
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || kb < 0 || kb > 1<<40 {
			return memory{}, fmt.Errorf("unexpected %s value %q", name, fields[0])
		}
		*into = kb * 1024
	}
	if err := sc.Err(); err != nil {
		return memory{}, err
	}
	if !sawRSS || !sawAnon {
		return memory{}, fmt.Errorf("no VmRSS and RssAnon lines (is it a kernel thread or a zombie?)")
	}
	return m, nil
}

// mib is a byte count in MiB.
func mib(b int64) float64 { return float64(b) / (1 << 20) }
