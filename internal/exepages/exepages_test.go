package exepages

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
)

const sampleSmaps = `00400000-02601000 r-xp 00000000 fe:00 10526927                           /usr/local/bin/kapi
Size:              34820 kB
Rss:               15168 kB
Anonymous:             0 kB
FilePmdMapped:      4096 kB
VmFlags: rd ex mr mw me 
02601000-04908000 r--p 02201000 fe:00 10526927                           /usr/local/bin/kapi
Size:              35868 kB
Rss:               20028 kB
Anonymous:             0 kB
VmFlags: rd mr mw me 
04908000-049d9000 rw-p 04508000 fe:00 10526927                           /usr/local/bin/kapi
Rss:                 772 kB
Anonymous:           264 kB
7f0000000000-7f0000001000 r--p 00000000 fe:00 42                         /opt/my data/lib.so
Rss:                   4 kB
Anonymous:             0 kB
7f0000010000-7f0000020000 rw-p 00000000 00:00 0 
Rss:                  64 kB
Anonymous:            64 kB
7ffd00000000-7ffd00002000 r-xp 00000000 00:00 0                          [vdso]
Rss:                   8 kB
Anonymous:             0 kB
`

func TestParseSmaps(t *testing.T) {
	got, err := parseSmaps([]byte(sampleSmaps))
	if err != nil {
		t.Fatal(err)
	}
	want := []mapping{
		{start: 0x400000, end: 0x2601000, perms: "r-xp", path: "/usr/local/bin/kapi", rssKB: 15168},
		{start: 0x2601000, end: 0x4908000, perms: "r--p", path: "/usr/local/bin/kapi", rssKB: 20028},
		{start: 0x4908000, end: 0x49d9000, perms: "rw-p", path: "/usr/local/bin/kapi", rssKB: 772, anonymousKB: 264},
		{start: 0x7f0000000000, end: 0x7f0000001000, perms: "r--p", path: "/opt/my data/lib.so", rssKB: 4},
		{start: 0x7f0000010000, end: 0x7f0000020000, perms: "rw-p", rssKB: 64, anonymousKB: 64},
		{start: 0x7ffd00000000, end: 0x7ffd00002000, perms: "r-xp", path: "[vdso]", rssKB: 8},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d mappings, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("mapping %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func TestParseSmapsRejects(t *testing.T) {
	for name, text := range map[string]string{
		"field before any mapping": "Anonymous: 0 kB\n",
		"bad address":              "zz-02601000 r-xp 00000000 fe:00 1 /bin/x\n",
		"short header":             "00400000-02601000 r-xp\n",
		"bad anonymous size":       "00400000-02601000 r-xp 00000000 fe:00 1 /bin/x\nAnonymous: lots kB\n",
		"rss without unit":         "00400000-02601000 r-xp 00000000 fe:00 1 /bin/x\nRss: 12\n",
	} {
		t.Run(name, func(t *testing.T) {
			if got, err := parseSmaps([]byte(text)); err == nil {
				t.Errorf("parsed %q as %+v, want an error", text, got)
			}
		})
	}
}

func TestReleasable(t *testing.T) {
	const exe = "/usr/local/bin/kapi"
	for _, tc := range []struct {
		name string
		m    mapping
		want bool
	}{
		{"text", mapping{start: 1, end: 2, perms: "r-xp", path: exe}, true},
		{"read-only data", mapping{start: 1, end: 2, perms: "r--p", path: exe}, true},
		{"writable data", mapping{start: 1, end: 2, perms: "rw-p", path: exe}, false},
		{"relocated read-only data", mapping{start: 1, end: 2, perms: "r--p", path: exe, anonymousKB: 4}, false},
		{"shared mapping", mapping{start: 1, end: 2, perms: "r--s", path: exe}, false},
		{"another file", mapping{start: 1, end: 2, perms: "r-xp", path: "/lib/libc.so.6"}, false},
		{"anonymous", mapping{start: 1, end: 2, perms: "r--p"}, false},
		{"empty", mapping{start: 2, end: 2, perms: "r-xp", path: exe}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.m.releasable(exe); got != tc.want {
				t.Errorf("releasable = %v, want %v", got, tc.want)
			}
		})
	}
}

// mappedKB is how much of the mapping that starts at start is mapped.
func mappedKB(t *testing.T, start uintptr) int64 {
	t.Helper()
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	maps, err := parseSmaps(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range maps {
		if m.start == start {
			return m.rssKB
		}
	}
	t.Fatalf("no mapping at %x", start)
	return 0
}

// TestReleaseDropsMappings maps a file read-only, reads every page, and checks
// that release unmaps them all and that they read the same afterwards.
func TestReleaseDropsMappings(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("needs Linux")
	}
	content := make([]byte, 256<<10) // 64 pages
	for i := range content {
		content[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	mem, err := syscall.Mmap(int(f.Fd()), 0, len(content), syscall.PROT_READ, syscall.MAP_PRIVATE)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Munmap(mem)
	start := sliceStart(mem)
	if !bytes.Equal(mem, content) { // maps every page
		t.Fatal("the mapping does not read as the file")
	}
	if kb := mappedKB(t, start); kb != int64(len(content)>>10) {
		t.Fatalf("%d KiB mapped after reading all %d KiB", kb, len(content)>>10)
	}
	if err := release(start, uintptr(len(mem))); err != nil {
		t.Fatal(err)
	}
	if kb := mappedKB(t, start); kb != 0 {
		t.Errorf("%d KiB still mapped after release", kb)
	}
	if !bytes.Equal(mem, content) {
		t.Error("the mapping does not read as the file after release")
	}
}

// written is changed at run time: Release must leave the executable's writable
// data alone, or it would come back as the file's bytes.
var written = []byte("as linked")

// TestRelease releases this test binary's own pages and checks that code and data
// still work and that writable data kept what was written to it.
func TestRelease(t *testing.T) {
	if runtime.GOOS != "linux" {
		if _, err := Release(); err == nil {
			t.Fatal("Release worked on a system without /proc")
		}
		return
	}
	copy(written, "at runtim")
	released, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	maps, exe, err := executableMappings()
	if err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, m := range maps {
		size += int64(m.end - m.start)
	}
	if len(maps) == 0 || released != size {
		t.Errorf("released %d bytes, the %d releasable mappings of %s are %d", released, len(maps), exe, size)
	}
	if string(written) != "at runtim" {
		t.Errorf("writable data reads %q after Release", written)
	}
	// Code and read-only data fault back in: parsing runs both again.
	if _, err := parseSmaps([]byte(sampleSmaps)); err != nil {
		t.Fatal(err)
	}
}

func FuzzParseSmaps(f *testing.F) {
	f.Add(sampleSmaps)
	f.Add("00400000-02601000 r-xp 00000000 fe:00 1 /bin/x\nRss: 4 kB\nAnonymous: 0 kB\n")
	f.Add("-\n")
	f.Fuzz(func(t *testing.T, text string) {
		maps, err := parseSmaps([]byte(text))
		if err != nil {
			return
		}
		// Whatever parses, only a read-only mapping without private copies may be
		// released.
		for _, m := range maps {
			if m.releasable(m.path) && (m.anonymousKB != 0 || m.start >= m.end || m.perms[1] != '-') {
				t.Errorf("%+v is releasable", m)
			}
		}
	})
}
