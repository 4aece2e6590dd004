package main

import (
	"os"
	"strings"
	"testing"
)

func TestParseVmRSS(t *testing.T) {
	cases := []struct {
		name    string
		status  string
		want    int64
		wantErr bool
	}{
		{"typical", "Name:\tkapi\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\nThreads:\t12\n", 123456 * 1024, false},
		{"zero", "VmRSS:\t0 kB\n", 0, false},
		{"missing (kernel thread)", "Name:\tkthreadd\nState:\tS (sleeping)\n", 0, true},
		{"empty", "", 0, true},
		{"not a number", "VmRSS:\tlots kB\n", 0, true},
		{"negative", "VmRSS:\t-5 kB\n", 0, true},
		{"wrong unit", "VmRSS:\t5 MB\n", 0, true},
		{"no unit", "VmRSS:\t5\n", 0, true},
		{"absurdly large", "VmRSS:\t99999999999999999 kB\n", 0, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseVmRSS(strings.NewReader(c.status))
			if (err != nil) != c.wantErr || got != c.want {
				t.Errorf("parseVmRSS = %d, %v; want %d, error %v", got, err, c.want, c.wantErr)
			}
		})
	}
}

func TestReadRSSOfThisProcess(t *testing.T) {
	rss, err := readRSS(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if rss < 1<<20 {
		t.Errorf("RSS of the test process is %d bytes, expected at least 1 MiB", rss)
	}
	if _, err := readRSS(1 << 30); err == nil {
		t.Error("reading the RSS of a pid that cannot exist did not fail")
	}
}

func FuzzParseVmRSS(f *testing.F) {
	f.Add("VmRSS:\t  123456 kB\n")
	f.Add("Name:\tx\nVmRSS: 1 kB")
	f.Add("VmRSS:")
	f.Fuzz(func(t *testing.T, status string) {
		rss, err := parseVmRSS(strings.NewReader(status))
		if err == nil && rss < 0 {
			t.Errorf("negative RSS %d from %q", rss, status)
		}
	})
}
