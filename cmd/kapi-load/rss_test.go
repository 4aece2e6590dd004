package main

import (
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseStatus(t *testing.T) {
	cases := []struct {
		name    string
		status  string
		want    memory
		wantErr bool
	}{
		{"typical", "Name:\tkapi\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\nRssAnon:\t   23456 kB\nRssFile:\t  100000 kB\nThreads:\t12\n",
			memory{rss: 123456 * 1024, anon: 23456 * 1024}, false},
		{"zero", "VmRSS:\t0 kB\nRssAnon:\t0 kB\n", memory{}, false},
		{"missing (kernel thread)", "Name:\tkthreadd\nState:\tS (sleeping)\n", memory{}, true},
		{"no RssAnon (before Linux 4.5)", "VmRSS:\t5 kB\n", memory{}, true},
		{"VmRSS twice, no RssAnon", "VmRSS:\t5 kB\nVmRSS:\t6 kB\n", memory{}, true},
		{"empty", "", memory{}, true},
		{"not a number", "VmRSS:\tlots kB\nRssAnon:\t0 kB\n", memory{}, true},
		{"negative", "VmRSS:\t-5 kB\nRssAnon:\t0 kB\n", memory{}, true},
		{"wrong unit", "VmRSS:\t5 MB\nRssAnon:\t0 kB\n", memory{}, true},
		{"no unit", "VmRSS:\t5\nRssAnon:\t0 kB\n", memory{}, true},
		{"bad RssAnon", "VmRSS:\t5 kB\nRssAnon:\tx kB\n", memory{}, true},
		{"absurdly large", "VmRSS:\t99999999999999999 kB\nRssAnon:\t0 kB\n", memory{}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatus(strings.NewReader(c.status))
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseStatus = %+v, %v; want %+v, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestReadMemoryOfThisProcess(t *testing.T) {
	m, err := readMemory(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if m.rss < 1<<20 || m.anon <= 0 || m.anon > m.rss {
		t.Errorf("memory of the test process is %+v, expected an RSS of at least 1 MiB holding the anonymous part", m)
	}
	if _, err := readMemory(1 << 30); err == nil {
		t.Error("reading the memory of a pid that cannot exist did not fail")
	}
}

func FuzzParseStatus(f *testing.F) {
	f.Add("VmRSS:\t  123456 kB\nRssAnon:\t 3 kB\n")
	f.Add("Name:\tx\nVmRSS: 1 kB")
	f.Add("VmRSS:")
	f.Fuzz(func(t *testing.T, status string) {
		m, err := parseStatus(strings.NewReader(status))
		if err == nil && (m.rss < 0 || m.anon < 0) {
			t.Errorf("negative memory %+v from %q", m, status)
		}
	})
}

func TestParseStat(t *testing.T) {
	rest := " 0 1 2 3 4 5 6 7 8 9 10"
	cases := []struct {
		name    string
		stat    string
		want    time.Duration
		wantErr bool
	}{
		{"typical", "1234 (kapi) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 12 0" + rest, 3250 * time.Millisecond, false},
		{"command with spaces and parentheses", "7 (a) b (c)) R 1 7 7 0 -1 0 0 0 0 0 3 4 0 0 20 0 1 0" + rest, 70 * time.Millisecond, false},
		{"zero", "1 (x) S 0 0 0 0 0 0 0 0 0 0 0 0" + rest, 0, false},
		{"no command", "1 x S 0 0 0 0 0 0 0 0 0 0 1 1", 0, true},
		{"too short", "1 (x) S 0 0 0 0 0 0 0 0 0 0 1", 0, true},
		{"not a number", "1 (x) S 0 0 0 0 0 0 0 0 0 0 a 1" + rest, 0, true},
		{"negative", "1 (x) S 0 0 0 0 0 0 0 0 0 0 -1 1" + rest, 0, true},
		{"empty", "", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStat(c.stat)
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseStat = %v, %v; want %v, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestReadCPUOfThisProcess(t *testing.T) {
	before, err := readCPU(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	for start := time.Now(); time.Since(start) < 50*time.Millisecond; {
	}
	after, err := readCPU(os.Getpid())
	if err != nil || after < before+20*time.Millisecond {
		t.Errorf("CPU time went from %v to %v over 50 ms of spinning (%v)", before, after, err)
	}
	if _, err := readCPU(1 << 30); err == nil {
		t.Error("reading the CPU time of a pid that cannot exist did not fail")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add("1234 (kapi) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 75 0 0")
	f.Add("1 ()) S")
	f.Fuzz(func(t *testing.T, stat string) {
		if d, err := parseStat(stat); err == nil && d < 0 {
			t.Errorf("negative CPU time %v from %q", d, stat)
		}
	})
}
