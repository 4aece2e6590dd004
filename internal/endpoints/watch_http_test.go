package endpoints_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// watchStream is one open watch over HTTP.
type watchStream struct {
	t    *testing.T
	body io.ReadCloser
	r    *bufio.Reader
	// lines holds the JSON events read, for comparing streams.
	lines bytes.Buffer
}

func (c *client) openWatch(t *testing.T, path, accept string) *watchStream {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", accept)
	resp, err := c.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("watch %s: %d %s", path, resp.StatusCode, b)
	}
	s := &watchStream{t: t, body: resp.Body}
	s.r = bufio.NewReader(resp.Body)
	return s
}

// nextJSON reads one JSON event.
func (s *watchStream) nextJSON() (string, map[string]any) {
	s.t.Helper()
	line, err := s.r.ReadBytes('\n')
	if err != nil {
		s.t.Fatalf("reading a JSON event: %v", err)
	}
	s.lines.Write(line)
	var ev struct {
		Type   string         `json:"type"`
		Object map[string]any `json:"object"`
	}
	if err := json.Unmarshal(line, &ev); err != nil {
		s.t.Fatalf("event %q: %v", line, err)
	}
	return ev.Type, ev.Object
}

// nextProtobuf reads one length-delimited protobuf event.
func (s *watchStream) nextProtobuf() metav1.WatchEvent {
	s.t.Helper()
	var n uint32
	if err := binary.Read(s.r, binary.BigEndian, &n); err != nil {
		s.t.Fatalf("reading a frame length: %v", err)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(s.r, buf); err != nil {
		s.t.Fatalf("reading a frame: %v", err)
	}
	var ev metav1.WatchEvent
	if err := ev.Unmarshal(buf); err != nil {
		s.t.Fatalf("frame: %v", err)
	}
	return ev
}

func name(obj map[string]any) string {
	md, _ := obj["metadata"].(map[string]any)
	s, _ := md["name"].(string)
	return s
}

// TestWatchStreams checks what several watchers of the same events receive, now that
// events are encoded once and shared: the same bytes for the same format, each
// event in order with its own type, protobuf framing, versions converted per
// endpoint, and a Table watch's column definitions only on the first row.
func TestWatchStreams(t *testing.T) {
	c := newClient(t)
	const cms = "/api/v1/namespaces/t/configmaps"
	list := c.do("GET", cms, "", jsonCT, nil)
	var l metav1.List
	if err := json.Unmarshal(list.body, &l); err != nil {
		t.Fatal(err)
	}
	rv := l.ResourceVersion
	watchPath := cms + "?watch=true&resourceVersion=" + rv
	json1 := c.openWatch(t, watchPath, jsonCT)
	json2 := c.openWatch(t, watchPath, jsonCT)
	pb := c.openWatch(t, watchPath, protoCT)
	table := c.openWatch(t, watchPath, "application/json;as=Table;v=v1;g=meta.k8s.io")
	selected := c.openWatch(t, cms+"?watch=true&labelSelector=pick%3Dyes&resourceVersion="+rv, jsonCT)
	coreEvents := c.openWatch(t, "/api/v1/namespaces/t/events?watch=true&resourceVersion="+rv, jsonCT)
	v1Events := c.openWatch(t, "/apis/events.k8s.io/v1/namespaces/t/events?watch=true&resourceVersion="+rv, jsonCT)

	c.mustCreate(cms, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"pick":"yes"}}}`)
	c.mustCreate(cms, cm("b", ""))
	if r := c.do("PUT", cms+"/a", jsonCT, "", []byte(`{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"a","labels":{"pick":"no"}},"data":{"k":"2"}}`)); r.code != 200 {
		t.Fatalf("update: %d %s", r.code, r.body)
	}
	if r := c.do("DELETE", cms+"/b", "", "", nil); r.code != 200 {
		t.Fatalf("delete: %d %s", r.code, r.body)
	}
	c.mustCreate("/api/v1/namespaces/t/events", `{"apiVersion":"v1","kind":"Event","metadata":{"name":"e"},"involvedObject":{"kind":"ConfigMap","name":"a","namespace":"t"},"reason":"R","message":"m","type":"Normal"}`)

	want := []string{"ADDED a", "ADDED b", "MODIFIED a", "DELETED b"}
	var rvs []string
	for _, s := range []*watchStream{json1, json2} {
		rvs = rvs[:0]
		for i, w := range want {
			typ, obj := s.nextJSON()
			if got := typ + " " + name(obj); got != w {
				t.Fatalf("JSON event %d: %s, want %s", i, got, w)
			}
			if obj["kind"] != "ConfigMap" || obj["apiVersion"] != "v1" {
				t.Errorf("JSON event %d: kind %v apiVersion %v", i, obj["kind"], obj["apiVersion"])
			}
			rvs = append(rvs, obj["metadata"].(map[string]any)["resourceVersion"].(string))
		}
	}
	if !bytes.Equal(json1.lines.Bytes(), json2.lines.Bytes()) {
		t.Errorf("two JSON watchers of the same events got different bytes:\n%s\n%s", json1.lines.Bytes(), json2.lines.Bytes())
	}
	for i, w := range want {
		ev := pb.nextProtobuf()
		if !bytes.HasPrefix(ev.Object.Raw, []byte("k8s\x00")) || !bytes.Contains(ev.Object.Raw, []byte(rvs[i])) {
			t.Errorf("protobuf event %d: not a k8s protobuf object at %s: %q", i, rvs[i], ev.Object.Raw)
		}
		if got := ev.Type; got+" "+w[len(got)+1:] != w {
			t.Errorf("protobuf event %d: %s, want %s", i, got, w)
		}
	}
	t.Run("selector transitions", func(t *testing.T) {
		for i, w := range []string{"ADDED a", "DELETED a"} {
			typ, obj := selected.nextJSON()
			if got := typ + " " + name(obj); got != w {
				t.Fatalf("event %d: %s, want %s", i, got, w)
			}
		}
	})
	t.Run("table rows", func(t *testing.T) {
		for i, w := range want {
			typ, obj := table.nextJSON()
			hasColumns := obj["columnDefinitions"] != nil
			if typ != w[:len(typ)] || obj["kind"] != "Table" || hasColumns != (i == 0) {
				t.Fatalf("table event %d: %s kind %v columns %v, want %s with columns only first", i, typ, obj["kind"], hasColumns, w)
			}
		}
	})
	t.Run("versions", func(t *testing.T) {
		for _, tc := range []struct {
			s          *watchStream
			apiVersion string
		}{{coreEvents, "v1"}, {v1Events, "events.k8s.io/v1"}} {
			typ, obj := tc.s.nextJSON()
			if typ != "ADDED" || obj["apiVersion"] != tc.apiVersion || obj["kind"] != "Event" {
				t.Errorf("%s watch: %s %v %v", tc.apiVersion, typ, obj["apiVersion"], obj["kind"])
			}
		}
	})
}

// TestWatchListTransformsBookmark: a streaming list (sendInitialEvents) asked for as
// a Table or as metadata ends with its initial-events-end bookmark in that same
// form, as upstream's: a one-row Table whose row object carries the annotation, or
// a PartialObjectMetadata. WatchList clients decode every event as the one type.
func TestWatchListTransformsBookmark(t *testing.T) {
	c := newClient(t)
	const cms = "/api/v1/namespaces/wl/configmaps"
	c.mustCreate("/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"wl"}}`)
	c.mustCreate(cms, cm("one", ""))
	c.mustCreate(cms, cm("two", ""))
	const streaming = cms + "?watch=true&sendInitialEvents=true&allowWatchBookmarks=true&resourceVersionMatch=NotOlderThan"
	annotated := func(md any) bool {
		m, _ := md.(map[string]any)
		a, _ := m["annotations"].(map[string]any)
		return a["k8s.io/initial-events-end"] == "true"
	}
	for _, tc := range []struct {
		name, accept string
		// bookmarkMeta returns the bookmark's metadata from its object.
		bookmarkMeta func(t *testing.T, obj map[string]any) any
		kind         string
	}{
		{"table", "application/json;as=Table;v=v1;g=meta.k8s.io", func(t *testing.T, obj map[string]any) any {
			rows, _ := obj["rows"].([]any)
			if len(rows) != 1 || obj["columnDefinitions"] != nil {
				t.Fatalf("bookmark Table: %d rows, columns %v; want one row, no columns", len(rows), obj["columnDefinitions"])
			}
			row, _ := rows[0].(map[string]any)
			ro, _ := row["object"].(map[string]any)
			if ro["kind"] != "PartialObjectMetadata" {
				t.Errorf("bookmark row object kind %v, want PartialObjectMetadata", ro["kind"])
			}
			return ro["metadata"]
		}, "Table"},
		{"metadata", "application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io", func(t *testing.T, obj map[string]any) any {
			return obj["metadata"]
		}, "PartialObjectMetadata"},
		{"plain", jsonCT, func(t *testing.T, obj map[string]any) any {
			return obj["metadata"]
		}, "ConfigMap"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := c.openWatch(t, streaming, tc.accept)
			names := map[string]bool{}
			for {
				typ, obj := s.nextJSON()
				if obj["kind"] != tc.kind {
					t.Fatalf("%s event of kind %v, want %s", typ, obj["kind"], tc.kind)
				}
				if typ == "BOOKMARK" {
					if md := tc.bookmarkMeta(t, obj); !annotated(md) {
						t.Fatalf("bookmark metadata %v lacks the initial-events-end annotation", md)
					}
					break
				}
				if typ != "ADDED" {
					t.Fatalf("initial event %s, want ADDED", typ)
				}
				if tc.kind == "Table" {
					rows, _ := obj["rows"].([]any)
					row, _ := rows[0].(map[string]any)
					cells, _ := row["cells"].([]any)
					names[cells[0].(string)] = true
					if hasColumns := obj["columnDefinitions"] != nil; hasColumns != (len(names) == 1) {
						t.Errorf("event %d: columns %v, want them on the first event only", len(names), hasColumns)
					}
				} else {
					names[name(obj)] = true
				}
			}
			if !names["one"] || !names["two"] {
				t.Errorf("initial events named %v, want one and two among them", names)
			}
		})
	}
}
