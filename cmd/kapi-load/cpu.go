package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTick is the unit of the CPU times in /proc/<pid>/stat (USER_HZ), 100 on
// every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// readCPU returns the CPU time (user and system) process pid has used so far.
func readCPU(pid int) (time.Duration, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("reading the CPU time of pid %d: %w", pid, err)
	}
	return parseStat(string(data))
}

// parseStat reads utime and stime, the 14th and 15th fields of a /proc stat line.
// The second field, the command in parentheses, may hold spaces and parentheses
// itself, so the fields are counted from the last ")".
func parseStat(stat string) (time.Duration, error) {
	end := strings.LastIndexByte(stat, ')')
	if end < 0 {
		return 0, fmt.Errorf("unexpected stat line %q", stat)
	}
	fields := strings.Fields(stat[end+1:]) // from the 3rd field, state
	const utime, stime = 14 - 3, 15 - 3
	if len(fields) <= stime {
		return 0, fmt.Errorf("stat line has %d fields after the command, want at least %d", len(fields), stime+1)
	}
	var total time.Duration
	for _, i := range []int{utime, stime} {
		ticks, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil || ticks < 0 || ticks > 1<<40 {
			return 0, fmt.Errorf("unexpected CPU time %q in stat line", fields[i])
		}
		total += time.Duration(ticks) * clockTick
	}
	return total, nil
}

// cpuMeter measures the CPU time the server and this command use over one part of
// a phase: the wall clock of a create phase moves with whatever else the machine
// runs, the CPU per request far less.
type cpuMeter struct {
	pid            int // the server; 0 measures this command only
	server, client time.Duration
	ok             bool
}

// startCPU starts measuring; errors leave the meter unable to report.
func (l *load) startCPU() *cpuMeter {
	m := &cpuMeter{pid: l.pid}
	var err error
	if m.client, err = readCPU(os.Getpid()); err != nil {
		return m
	}
	if m.pid != 0 {
		if m.server, err = readCPU(m.pid); err != nil {
			return m
		}
	}
	m.ok = true
	return m
}

// report prints the server's and this command's CPU time per request, in
// microseconds, under <name>_server_cpu_us and <name>_client_cpu_us.
func (m *cpuMeter) report(out *reporter, name string, requests int) {
	if !m.ok || requests <= 0 {
		return
	}
	client, err := readCPU(os.Getpid())
	if err != nil {
		return
	}
	perRequest := func(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) / float64(requests) }
	if m.pid != 0 {
		server, err := readCPU(m.pid)
		if err != nil {
			return
		}
		out.figure(name+"_server_cpu_us", perRequest(server-m.server), "us")
	}
	out.figure(name+"_client_cpu_us", perRequest(client-m.client), "us")
}
