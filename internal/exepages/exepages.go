// Package exepages trims the executable's pages from the process's resident set.
//
// The text and read-only data of kapi's binary are some 70 MiB of mappings, and
// what is mapped of them counts in its RSS. Start-up runs much code that an idle
// server never runs again (registering every resource, bootstrapping the policy
// and RBAC objects, etcd's recovery), and a binary that sits in the page cache as
// large folios (one just written by Go's linker, on ext4) is mapped by the 2 MiB
// huge page, so that one function touched maps the huge page around it. Release
// drops those mappings while the server is idle, as operating systems trim an idle
// process's working set: the pages stay in the page cache, and what the server
// runs next faults back in from there.
package exepages

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// mapping is a mapping of /proc/self/smaps with the fields Release reads.
type mapping struct {
	start, end  uintptr
	perms       string
	path        string
	anonymousKB int64 // private copies of pages, which only the mapping holds
	rssKB       int64 // pages mapped
}

// releasable reports whether m maps exe read-only and holds no private copies, so
// that every page it maps is the file's own and can be faulted back in.
func (m mapping) releasable(exe string) bool {
	return m.path == exe && m.anonymousKB == 0 && m.end > m.start &&
		(m.perms == "r-xp" || m.perms == "r--p")
}

// parseSmaps reads the mappings of an smaps file.
func parseSmaps(data []byte) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if name, ok := strings.CutSuffix(fields[0], ":"); ok {
			if len(out) == 0 {
				return nil, fmt.Errorf("smaps: field before the first mapping: %q", line)
			}
			m := &out[len(out)-1]
			var err error
			switch name {
			case "Anonymous":
				if m.anonymousKB, err = kilobytes(fields); err != nil {
					return nil, fmt.Errorf("smaps: %q: %w", line, err)
				}
			case "Rss":
				if m.rssKB, err = kilobytes(fields); err != nil {
					return nil, fmt.Errorf("smaps: %q: %w", line, err)
				}
			}
			continue
		}
		// A mapping's first line: "start-end perms offset dev inode [path]".
		lo, hi, ok := strings.Cut(fields[0], "-")
		if !ok || len(fields) < 5 {
			return nil, fmt.Errorf("smaps: unexpected line %q", line)
		}
		start, err := strconv.ParseUint(lo, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("smaps: %q: %w", line, err)
		}
		end, err := strconv.ParseUint(hi, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("smaps: %q: %w", line, err)
		}
		m := mapping{start: uintptr(start), end: uintptr(end), perms: fields[1]}
		if len(fields) > 5 {
			// The path is the rest of the line: it may hold spaces.
			m.path = strings.TrimSpace(line[strings.Index(line, fields[5]):])
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

// kilobytes reads the size of a field line split into words: "Rss:", "12", "kB".
func kilobytes(fields []string) (int64, error) {
	if len(fields) != 3 || fields[2] != "kB" {
		return 0, errors.New("not a size in kB")
	}
	return strconv.ParseInt(fields[1], 10, 64)
}

// executableMappings returns the mappings of the running executable that Release
// may drop, and the executable's path.
func executableMappings() ([]mapping, string, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	data, err := os.ReadFile("/proc/self/smaps")
	if err != nil {
		return nil, "", err
	}
	all, err := parseSmaps(data)
	if err != nil {
		return nil, "", err
	}
	var out []mapping
	for _, m := range all {
		if m.releasable(exe) {
			out = append(out, m)
		}
	}
	return out, exe, nil
}

// Release drops the present mappings of the executable's read-only pages and
// returns how many bytes of mappings it went over. It only works on Linux;
// elsewhere it returns an error.
func Release() (int64, error) {
	maps, _, err := executableMappings()
	if err != nil {
		return 0, err
	}
	var released int64
	for _, m := range maps {
		if err := release(m.start, m.end-m.start); err != nil {
			return released, fmt.Errorf("releasing %x-%x: %w", m.start, m.end, err)
		}
		released += int64(m.end - m.start)
	}
	return released, nil
}
