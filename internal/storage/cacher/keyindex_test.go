package cacher

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// indexed is a keyIndex with the set of present keys it is used with.
type indexed struct {
	x       keyIndex
	present map[string]bool
}

func newIndexed(keys ...string) *indexed {
	in := &indexed{present: map[string]bool{}}
	for _, k := range keys {
		in.present[k] = true
	}
	sorted := slices.Clone(keys)
	slices.Sort(sorted)
	in.x.reset(sorted)
	return in
}

func (in *indexed) has(k string) bool { return in.present[k] }
func (in *indexed) add(k string)      { in.present[k] = true; in.x.add(k, in.has) }
func (in *indexed) remove(k string)   { delete(in.present, k); in.x.remove(in.has) }

// under returns the present keys the index gives for prefix, as snapshotLocked uses it.
func (in *indexed) under(prefix string) []string {
	var out []string
	for _, k := range in.x.under(prefix, in.has) {
		if in.present[k] {
			out = append(out, k)
		}
	}
	return out
}

func TestKeyIndexListsInOrder(t *testing.T) {
	tests := []struct {
		name   string
		start  []string
		ops    []string // "+key" adds, "-key" removes
		prefix string
		want   []string
	}{
		{"start unsorted", []string{"/p/b/2", "/p/a/1", "/p/b/1"}, nil, "/p/", []string{"/p/a/1", "/p/b/1", "/p/b/2"}},
		{"namespace prefix", []string{"/p/b/2", "/p/a/1", "/p/b/1", "/p/bb/1"}, nil, "/p/b/", []string{"/p/b/1", "/p/b/2"}},
		{"adds merged", []string{"/p/a/2"}, []string{"+/p/a/3", "+/p/a/1"}, "/p/a/", []string{"/p/a/1", "/p/a/2", "/p/a/3"}},
		{"removed skipped", []string{"/p/a/1", "/p/a/2"}, []string{"-/p/a/1"}, "/p/", []string{"/p/a/2"}},
		{"removed and added again once", []string{"/p/a/1", "/p/a/2"}, []string{"-/p/a/1", "+/p/a/1"}, "/p/", []string{"/p/a/1", "/p/a/2"}},
		{"added then removed", []string{"/p/a/1"}, []string{"+/p/a/0", "-/p/a/0"}, "/p/", []string{"/p/a/1"}},
		{"no match", []string{"/p/a/1"}, nil, "/q/", nil},
		{"empty", nil, []string{"+/p/x"}, "/p/", []string{"/p/x"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := newIndexed(tc.start...)
			for _, op := range tc.ops {
				if op[0] == '+' {
					in.add(op[1:])
				} else {
					in.remove(op[1:])
				}
			}
			if got := in.under(tc.prefix); !slices.Equal(got, tc.want) {
				t.Fatalf("under(%q) = %q, want %q", tc.prefix, got, tc.want)
			}
		})
	}
}

// TestKeyIndexMatchesSortedScan runs random adds, removes and lists against the
// plain answer: every present key with the prefix, sorted.
func TestKeyIndexMatchesSortedScan(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	in := newIndexed()
	key := func() string { return fmt.Sprintf("/r/ns%d/o%d", rng.Intn(4), rng.Intn(40)) }
	for step := range 5000 {
		switch n := rng.Intn(10); {
		case n < 5:
			if k := key(); !in.present[k] {
				in.add(k)
			}
		case n < 8:
			if k := key(); in.present[k] {
				in.remove(k)
			}
		default:
			prefix := []string{"/r/", fmt.Sprintf("/r/ns%d/", rng.Intn(5))}[rng.Intn(2)]
			var want []string
			for k := range in.present {
				if strings.HasPrefix(k, prefix) {
					want = append(want, k)
				}
			}
			slices.Sort(want)
			if got := in.under(prefix); !slices.Equal(got, want) {
				t.Fatalf("step %d: under(%q) = %q, want %q", step, prefix, got, want)
			}
		}
	}
}

// TestKeyIndexBoundedWithoutLists creates and deletes many keys of a resource that
// is never listed (as events are): the index must not keep every key ever added.
func TestKeyIndexBoundedWithoutLists(t *testing.T) {
	in := newIndexed()
	const live = 100
	for i := range 100_000 {
		in.add(fmt.Sprintf("/r/ns/e%06d", i))
		if i >= live {
			in.remove(fmt.Sprintf("/r/ns/e%06d", i-live))
		}
		if held := len(in.x.sorted) + len(in.x.added); held > 3*live+3*keySlack {
			t.Fatalf("after %d adds the index holds %d keys for %d present", i+1, held, len(in.present))
		}
	}
	if got := in.under("/r/"); len(got) != live {
		t.Fatalf("listed %d keys, want %d", len(got), live)
	}
}
