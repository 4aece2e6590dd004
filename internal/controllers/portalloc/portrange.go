package portalloc

import (
	"fmt"
	"strconv"
	"strings"
)

// Range is the inclusive port range Base ... Base+Size-1.
type Range struct {
	Base, Size int
}

// DefaultRange is kube-apiserver's default --service-node-port-range.
var DefaultRange = Range{Base: 30000, Size: 2768}

// ParseRange reads "30000-32767" (or a single port "30000"), as upstream's flag does.
func ParseRange(s string) (Range, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Range{}, fmt.Errorf("empty port range")
	}
	lo, hi, found := strings.Cut(s, "-")
	low, err := strconv.Atoi(lo)
	if err != nil {
		return Range{}, fmt.Errorf("invalid port range %q: %v", s, err)
	}
	high := low
	if found {
		if high, err = strconv.Atoi(hi); err != nil {
			return Range{}, fmt.Errorf("invalid port range %q: %v", s, err)
		}
	}
	if low < 0 || high > 65535 || low > high {
		return Range{}, fmt.Errorf("invalid port range %q: ports must be in 0-65535 and the first no greater than the last", s)
	}
	return Range{Base: low, Size: high - low + 1}, nil
}

// String is the form stored in the RangeAllocation and shown in messages.
func (r Range) String() string {
	if r.Size == 0 {
		return ""
	}
	return fmt.Sprintf("%d-%d", r.Base, r.Base+r.Size-1)
}

// Contains reports whether port is in the range.
func (r Range) Contains(port int) bool {
	return port >= r.Base && port < r.Base+r.Size
}

// staticBand is the size of the low part of the range that random allocation
// avoids until the rest is full, kept for ports users ask for by number: upstream's
// min(max(16, size/32), 128), or 0 for ranges of 16 ports or fewer.
func (r Range) staticBand() int {
	if r.Size <= 16 {
		return 0
	}
	return min(max(16, r.Size/32), 128)
}

// Set parses a flag value (pflag.Value).
func (r *Range) Set(s string) error {
	parsed, err := ParseRange(s)
	if err != nil {
		return err
	}
	*r = parsed
	return nil
}

// Type names the flag's value type (pflag.Value).
func (r *Range) Type() string { return "portRange" }
