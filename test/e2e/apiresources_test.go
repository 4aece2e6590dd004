package e2e

import (
	"os"
	"sort"
	"strings"
	"testing"
)

// TestAPIResourcesMatchReference compares `kubectl api-resources -o wide` line by line
// with the capture from kube-apiserver v1.37.2: every resource kapi serves must print
// exactly as upstream's, and kapi must serve nothing upstream does not. Resources not
// served yet are listed in the log.
func TestAPIResourcesMatchReference(t *testing.T) {
	want, err := os.ReadFile("../../../shared/reference/api-resources-wide.txt")
	if err != nil {
		t.Skipf("reference captures not available: %v", err)
	}
	k := newKubectl(t, shared)
	got := k.ok(t, "api-resources", "-o", "wide", "--sort-by=name")
	key := func(line string) string {
		// NAME and APIVERSION identify a row (events are served in two groups).
		f := strings.Fields(line)
		if len(f) < 3 {
			return line
		}
		for _, x := range f[1:] {
			if strings.Contains(x, "/") || x == "v1" {
				return f[0] + " " + x
			}
		}
		return f[0]
	}
	normalize := func(line string) string { return strings.Join(strings.Fields(line), " ") }
	ref := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(want)), "\n")[1:] {
		ref[key(line)] = normalize(line)
	}
	served := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(got), "\n")[1:] {
		k := key(line)
		served[k] = true
		want, ok := ref[k]
		if !ok {
			t.Errorf("kapi serves %q, which kube-apiserver v1.37 does not", normalize(line))
			continue
		}
		if normalize(line) != want {
			t.Errorf("api-resources row differs:\n got: %s\nwant: %s", normalize(line), want)
		}
	}
	var missing []string
	for k := range ref {
		if !served[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Logf("not served yet (%d of %d): %s", len(missing), len(ref), strings.Join(missing, ", "))
	}
}
