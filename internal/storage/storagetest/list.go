package storagetest

import (
	"encoding/base64"
	"errors"
	"reflect"
	"testing"

	clientv3 "go.etcd.io/etcd/client/v3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kapi-dev/kapi/internal/storage"
)

func runListTests(t *testing.T, newStore NewStoreFunc) {
	runCases(t, newStore, []testCase{
		{"selectors", testListSelectors},
		{"pagination over a snapshot", testListPagination},
		{"resourceVersion semantics", testListResourceVersion},
	})
}

func names(l *corev1.PodList) []string {
	out := []string{}
	for _, p := range l.Items {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

func predicate(label, field string, limit int64, cont string) storage.SelectionPredicate {
	p := storage.SelectionPredicate{Label: labels.Everything(), Field: fields.Everything(), GetAttrs: GetAttrs, Limit: limit, Continue: cont}
	if label != "" {
		p.Label = labels.SelectorFromSet(labels.Set(mustParseSet(label)))
	}
	if field != "" {
		p.Field = fields.ParseSelectorOrDie(field)
	}
	return p
}

func mustParseSet(s string) labels.Set {
	set, err := labels.ConvertSelectorToLabelsMap(s)
	if err != nil {
		panic(err)
	}
	return set
}

func list(t *testing.T, s storage.Interface, key string, opts storage.ListOptions) *corev1.PodList {
	t.Helper()
	out := &corev1.PodList{}
	if err := s.GetList(ctxFor(t), key, opts, out); err != nil {
		t.Fatalf("list %s: %v", key, err)
	}
	return out
}

func testListSelectors(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	for _, p := range []podSpec{
		{ns: "a", name: "p1", labels: map[string]string{"app": "web"}, node: "n1"},
		{ns: "a", name: "p2", labels: map[string]string{"app": "db"}, node: "n2"},
		{ns: "b", name: "p3", labels: map[string]string{"app": "web"}, node: "n2", phase: corev1.PodRunning},
		{ns: "bb", name: "p4"},
	} {
		create(t, s, p)
	}
	tests := []struct {
		name      string
		key       string
		recursive bool
		label     string
		field     string
		want      []string
	}{
		{name: "everything", key: Prefix, recursive: true, want: []string{"a/p1", "a/p2", "b/p3", "bb/p4"}},
		{name: "one namespace", key: Prefix + "b/", recursive: true, want: []string{"b/p3"}},
		{name: "namespace without trailing slash", key: Prefix + "b", recursive: true, want: []string{"b/p3"}},
		{name: "single key", key: Key("a", "p2"), want: []string{"a/p2"}},
		{name: "missing single key", key: Key("a", "zz"), want: []string{}},
		{name: "label", key: Prefix, recursive: true, label: "app=web", want: []string{"a/p1", "b/p3"}},
		{name: "field", key: Prefix, recursive: true, field: "spec.nodeName=n2", want: []string{"a/p2", "b/p3"}},
		{name: "label and field", key: Prefix, recursive: true, label: "app=web", field: "spec.nodeName=n2", want: []string{"b/p3"}},
		{name: "field status.phase", key: Prefix, recursive: true, field: "status.phase=Running", want: []string{"b/p3"}},
		{name: "nothing matches", key: Prefix, recursive: true, label: "app=none", want: []string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := list(t, s, tc.key, storage.ListOptions{Recursive: tc.recursive, Predicate: predicate(tc.label, tc.field, 0, "")})
			if got := names(l); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			if l.ResourceVersion == "" || l.Continue != "" {
				t.Fatalf("list meta %+v: want a resourceVersion and no continue", l.ListMeta)
			}
		})
	}
}

func testListPagination(t *testing.T, s storage.Interface, _ *clientv3.Client) {
	for _, name := range []string{"p1", "p2", "p3", "p4", "p5"} {
		create(t, s, podSpec{ns: "ns", name: name, labels: map[string]string{"odd": map[bool]string{true: "y", false: "n"}[name == "p1" || name == "p3" || name == "p5"]}})
	}
	type page struct {
		want      []string
		remaining *int64
		last      bool
	}
	ptr := func(n int64) *int64 { return &n }
	tests := []struct {
		name  string
		label string
		limit int64
		pages []page
	}{
		{name: "limit 2", limit: 2, pages: []page{
			{want: []string{"ns/p1", "ns/p2"}, remaining: ptr(3)},
			{want: []string{"ns/p3", "ns/p4"}, remaining: ptr(1)},
			{want: []string{"ns/p5"}, last: true},
		}},
		{name: "limit larger than the list", limit: 10, pages: []page{{want: []string{"ns/p1", "ns/p2", "ns/p3", "ns/p4", "ns/p5"}, last: true}}},
		{name: "limit with selector", label: "odd=y", limit: 2, pages: []page{
			{want: []string{"ns/p1", "ns/p3"}},
			{want: []string{"ns/p5"}, last: true},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cont, snapshot := "", ""
			for i, pg := range tc.pages {
				l := list(t, s, Prefix, storage.ListOptions{Recursive: true, Predicate: predicate(tc.label, "", tc.limit, cont)})
				if got := names(l); !reflect.DeepEqual(got, pg.want) {
					t.Fatalf("page %d: got %v, want %v", i, got, pg.want)
				}
				if pg.last != (l.Continue == "") {
					t.Fatalf("page %d: continue %q, last page %v", i, l.Continue, pg.last)
				}
				if pg.remaining != nil && (l.RemainingItemCount == nil || *l.RemainingItemCount != *pg.remaining) {
					t.Fatalf("page %d: remainingItemCount %v, want %d", i, l.RemainingItemCount, *pg.remaining)
				}
				if i == 0 {
					snapshot = l.ResourceVersion
					// Writes after the first page must not show up in later pages.
					create(t, s, podSpec{ns: "ns", name: "p2a-" + sanitize(tc.name), labels: map[string]string{"odd": "y"}})
				} else if l.ResourceVersion != snapshot {
					t.Fatalf("page %d: resourceVersion %s, want the snapshot's %s", i, l.ResourceVersion, snapshot)
				}
				cont = l.Continue
			}
			// Later test cases must see the pods created here; remove them.
			del(t, s, "ns", "p2a-"+sanitize(tc.name))
		})
	}
	token := func(json string) string { return base64.RawURLEncoding.EncodeToString([]byte(json)) }
	invalid := []struct {
		name, token, message string
	}{
		{"not base64", "%%%", "invalid continue token: continue key is not valid: illegal base64 data at input byte 0"},
		{"not JSON", token("{"), "invalid continue token: continue key is not valid: unexpected end of JSON input"},
		{"other version", token(`{"v":"meta.k8s.io/v2","rv":5,"start":"ns/p1"}`), "invalid continue token: continue key is not valid: server does not recognize this encoded version meta.k8s.io/v2"},
		{"no resourceVersion", token(`{"v":"meta.k8s.io/v1","start":"ns/p1"}`), "invalid continue token: continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)"},
		{"no start key", token(`{"v":"meta.k8s.io/v1","rv":5}`), "invalid continue token: continue key is not valid: encoded start key empty (version meta.k8s.io/v1)"},
		{"key out of the prefix", token(`{"v":"meta.k8s.io/v1","rv":5,"start":"../secrets/a"}`), "invalid continue token: continue key is not valid: ../secrets/a"},
	}
	for _, tc := range invalid {
		t.Run("invalid continue "+tc.name, func(t *testing.T) {
			err := s.GetList(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, Predicate: predicate("", "", 2, tc.token)}, &corev1.PodList{})
			wantCode(t, err, storage.CodeInvalidObj)
			if err.Error() != tc.message {
				t.Fatalf("message %q, want %q", err.Error(), tc.message)
			}
		})
	}
	t.Run("continue at the latest revision", func(t *testing.T) {
		// A negative resourceVersion is what a 410 hands out: go on from the key, now.
		l := list(t, s, Prefix, storage.ListOptions{Recursive: true, Predicate: predicate("", "", 2, token(`{"v":"meta.k8s.io/v1","rv":-1,"start":"ns/p3\u0000"}`))})
		if got, want := names(l), []string{"ns/p4", "ns/p5"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	})
}

// sanitize turns a case name into a name usable in a key.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

func testListResourceVersion(t *testing.T, s storage.Interface, c *clientv3.Client) {
	v1 := create(t, s, podSpec{ns: "ns", name: "a", node: "old"})
	v2 := update(t, s, "ns", "a", func(p *corev1.Pod) { p.Spec.NodeName = "new" })
	create(t, s, podSpec{ns: "ns", name: "b"})
	tests := []struct {
		name     string
		rv       string
		match    metav1.ResourceVersionMatch
		wantCode storage.Code
		wantNode string
		wantLen  int
		wantRV   int64
		minRV    int64
	}{
		{name: "exact old snapshot", rv: v1.ResourceVersion, match: metav1.ResourceVersionMatchExact, wantNode: "old", wantLen: 1, wantRV: rvOf(t, v1)},
		{name: "exact newer snapshot", rv: v2.ResourceVersion, match: metav1.ResourceVersionMatchExact, wantNode: "new", wantLen: 1, wantRV: rvOf(t, v2)},
		// b was created after v2: a watch cache may answer at v2, before it saw b.
		{name: "not older than", rv: v2.ResourceVersion, match: metav1.ResourceVersionMatchNotOlderThan, wantNode: "new", wantLen: -1, minRV: rvOf(t, v2)},
		{name: "legacy not older than", rv: v2.ResourceVersion, wantNode: "new", wantLen: -1, minRV: rvOf(t, v2)},
		{name: "consistent", rv: "", wantNode: "new", wantLen: 2, minRV: rvOf(t, v2) + 1},
		{name: "any", rv: "0", wantNode: "", wantLen: -1},
		{name: "not older than the future", rv: fmtRV(rvOf(t, v2) + 1000), match: metav1.ResourceVersionMatchNotOlderThan, wantCode: storage.CodeTooLargeResourceVersion},
		{name: "exact bad resourceVersion", rv: "abc", match: metav1.ResourceVersionMatchExact, wantCode: storage.CodeInvalidObj},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := &corev1.PodList{}
			err := s.GetList(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, ResourceVersion: tc.rv, ResourceVersionMatch: tc.match, Predicate: predicate("", "", 0, "")}, out)
			if tc.wantCode != 0 {
				wantCode(t, err, tc.wantCode)
				return
			}
			if err != nil {
				t.Fatalf("list: %v", err)
			}
			if tc.wantLen >= 0 && len(out.Items) != tc.wantLen {
				t.Fatalf("got %v, want %d items", names(out), tc.wantLen)
			}
			if tc.wantLen < 0 && tc.minRV != 0 && (len(out.Items) == 0 || len(out.Items) > 2 ||
				(len(out.Items) == 2 && rvOf(t, out) < rvOf(t, &out.Items[1]))) {
				t.Fatalf("got %v at resourceVersion %s: want a, and b only at a resourceVersion that has it", names(out), out.ResourceVersion)
			}
			if tc.wantNode != "" && out.Items[0].Spec.NodeName != tc.wantNode {
				t.Fatalf("got node %q, want %q", out.Items[0].Spec.NodeName, tc.wantNode)
			}
			if got := rvOf(t, out); (tc.wantRV != 0 && got != tc.wantRV) || got < tc.minRV {
				t.Fatalf("list resourceVersion %d, want %d (at least %d)", got, tc.wantRV, tc.minRV)
			}
		})
	}
	t.Run("compacted", func(t *testing.T) {
		page := list(t, s, Prefix, storage.ListOptions{Recursive: true, Predicate: predicate("", "", 1, "")})
		cur := update(t, s, "ns", "b", func(p *corev1.Pod) { p.Spec.NodeName = "x" })
		if _, err := c.Compact(ctxFor(t), rvOf(t, cur)); err != nil {
			t.Fatalf("compact: %v", err)
		}
		err := s.GetList(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, ResourceVersion: v1.ResourceVersion, ResourceVersionMatch: metav1.ResourceVersionMatchExact, Predicate: predicate("", "", 0, "")}, &corev1.PodList{})
		wantCode(t, err, storage.CodeExpired)

		// The next page of a compacted snapshot is expired too, with a token that
		// continues from the same key at the latest revision.
		err = s.GetList(ctxFor(t), Prefix, storage.ListOptions{Recursive: true, Predicate: predicate("", "", 1, page.Continue)}, &corev1.PodList{})
		wantCode(t, err, storage.CodeExpired)
		var serr *storage.Error
		if !errors.As(err, &serr) || serr.Continue == "" {
			t.Fatalf("expired continue %v carries no continue token", err)
		}
		rest := list(t, s, Prefix, storage.ListOptions{Recursive: true, Predicate: predicate("", "", 1, serr.Continue)})
		if got := names(rest); !reflect.DeepEqual(got, []string{"ns/b"}) || rest.Items[0].Spec.NodeName != "x" || rvOf(t, rest) < rvOf(t, cur) {
			t.Fatalf("continued list %v at %s: want ns/b as updated at %s", got, rest.ResourceVersion, cur.ResourceVersion)
		}
	})
}
