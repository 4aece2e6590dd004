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
