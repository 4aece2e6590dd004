package endpoints

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// listItemBudget bounds the bytes of encoded list items kept across all resources:
// 10,000 Pods take about 21 MiB in JSON and 13 MiB in protobuf.
const listItemBudget = 64 << 20

// listSweepEvery is how many lists of a resource pass between sweeps of the items
// that none of them returned (deleted objects, older formats).
const listSweepEvery = 16

// protoMarshaler is what generated API types implement.
type protoMarshaler interface{ Marshal() ([]byte, error) }

// itemKey names one object's encoding in one format; resourceVersion is checked on
// lookup, so a changed object is re-encoded.
type itemKey struct{ uid, format string }

type itemEntry struct {
	rv   string
	data []byte
	used uint32 // the list generation that last returned it
}

// listEncoder writes LIST responses of one resource from its items' encodings, kept
// from earlier lists, instead of encoding every object again: a LIST of 10,000 Pods
// spends most of its time in encoding otherwise. The list envelope is encoded by the
// ordinary serializer and the items spliced in; the first list in each format checks
// the splice against the serializer's own encoding of a one-item list and the
// resource falls back to ordinary encoding for good if they differ.
type listEncoder struct {
	budget *atomic.Int64 // the API's bytes in use, shared by every resource

	mu      sync.Mutex
	entries map[itemKey]*itemEntry
	gen     uint32
	checked map[string]bool // format → splice verified (true) or refused (false)
}

// listFormat names the encodings the splice supports.
func listFormat(mediaType string) (string, bool) {
	switch mediaType {
	case runtime.ContentTypeJSON:
		return "json", true
	case runtime.ContentTypeProtobuf:
		return "protobuf", true
	}
	return "", false
}

// spliceFormat names the format of a LIST response that can be spliced from its
// items' encodings: JSON or protobuf, not pretty, not transformed, of a built-in
// resource served in its storage version.
func (e *endpoint) spliceFormat(out output) (string, bool) {
	format, ok := listFormat(out.info.MediaType)
	if !ok || out.as != "" || out.pretty || e.custom || e.res.StorageKind != e.res.GroupVersionKind() {
		return "", false
	}
	return format, true
}

// listSpliced serves a LIST in format from the items the store shares, without
// copying them into a typed list unless splicing is refused.
func (e *endpoint) listSpliced(w http.ResponseWriter, r *http.Request, out output, format, ns string, opts *metav1.ListOptions) {
	list, items, err := e.store.ListShared(r.Context(), ns, opts)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if e.respondListSpliced(w, out, format, list, items) {
		return
	}
	copies := make([]runtime.Object, len(items))
	for i, item := range items {
		copies[i] = withoutKind(item)
	}
	if err := meta.SetList(list, copies); err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	e.respondList(w, r, out, list)
}

// respondListSpliced writes list, a typed list of the served version without items,
// with items spliced in, and reports whether it did; false leaves the response
// untouched for the ordinary path.
func (e *endpoint) respondListSpliced(w http.ResponseWriter, out output, format string, list runtime.Object, items []runtime.Object) bool {
	if len(items) == 0 {
		return false
	}
	enc := e.listEncoder()
	if !enc.verified(format, out.info.Serializer, list, items[0]) {
		return false
	}
	list.GetObjectKind().SetGroupVersionKind(e.res.GroupVersion.WithKind(e.res.ListKindName()))
	encoded, err := enc.items(format, items)
	if err != nil {
		return false
	}
	spliced, err := spliceList(format, out.info.Serializer, list, encoded)
	if err != nil {
		return false
	}
	w.Header().Set("Content-Type", out.info.MediaType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 64<<10)
	spliced.writeTo(bw)
	_ = bw.Flush()
	splicedLists.Add(1)
	return true
}

// withoutKind returns obj, or a shallow copy of it without apiVersion and kind
// when it has them: items of typed lists carry none, but the watch cache's objects
// do, and those are shared and must not be changed.
func withoutKind(obj runtime.Object) runtime.Object {
	if obj.GetObjectKind().GroupVersionKind().Empty() {
		return obj
	}
	var cp runtime.Object
	if v := reflect.ValueOf(obj); v.Kind() == reflect.Pointer && v.Elem().Kind() == reflect.Struct {
		c := reflect.New(v.Elem().Type())
		c.Elem().Set(v.Elem())
		cp = c.Interface().(runtime.Object)
	} else {
		cp = obj.DeepCopyObject()
	}
	cp.GetObjectKind().SetGroupVersionKind(schema.GroupVersionKind{})
	return cp
}

// splicedLists counts the responses written by splicing (for tests to see the path
// taken: its output is by design the same as the ordinary path's).
var splicedLists atomic.Int64

// listEncoder returns the endpoint's encoder, made on first use.
func (e *endpoint) listEncoder() *listEncoder {
	e.listOnce.Do(func() { e.lists = &listEncoder{budget: &e.api.listItemBytes} })
	return e.lists
}

// splicedList is a list response made of the serializer's encoding of the list
// without items (head and tail) and the items' own encodings between them.
type splicedList struct {
	format     string
	head, tail []byte
	items      [][]byte
}

// itemsFieldTag is field 2 (items), length-delimited, of every generated list type.
const itemsFieldTag = 2<<3 | 2

// spliceList encodes list without its items with ser and places items, the
// encodings of its items, where the serializer would have written them.
func spliceList(format string, ser runtime.Encoder, list runtime.Object, items [][]byte) (*splicedList, error) {
	empty, err := withItems(list, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := ser.Encode(empty, &buf); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if format == "json" {
		// {"kind":...,"metadata":{...},"items":[]}\n — items is the last field of
		// every generated list type.
		const end = "[]}\n"
		if !bytes.HasSuffix(data, []byte(end)) {
			return nil, errors.New("list envelope does not end with its items")
		}
		cut := len(data) - len(end) + 1
		return &splicedList{format: format, head: data[:cut:cut], tail: []byte(end[1:]), items: items}, nil
	}
	// protobuf: 4-byte magic, then runtime.Unknown: field 1 typeMeta, field 2 raw
	// (the list message), fields 3 and 4 content encoding and type. The items go at
	// the end of the list message, whose length grows by theirs.
	const magicLen = 4
	for pos := magicLen; pos < len(data); {
		tag := data[pos]
		l, n := binary.Uvarint(data[pos+1:])
		if n <= 0 || tag&7 != 2 {
			return nil, errors.New("unexpected protobuf envelope")
		}
		start := pos + 1 + n
		end := start + int(l)
		if end > len(data) {
			return nil, errors.New("truncated protobuf envelope")
		}
		if tag != 2<<3|2 {
			pos = end
			continue
		}
		grown := l
		for _, item := range items {
			grown += uint64(1 + uvarintLen(uint64(len(item))) + len(item))
		}
		head := make([]byte, 0, end+binary.MaxVarintLen64)
		head = append(head, data[:pos+1]...)
		head = binary.AppendUvarint(head, grown)
		head = append(head, data[start:end]...)
		return &splicedList{format: format, head: head, tail: data[end:], items: items}, nil
	}
	return nil, errors.New("protobuf envelope without a raw message")
}

// writeTo writes the head, the items (comma-separated in JSON, each behind its
// field tag and length in protobuf) and the tail.
func (s *splicedList) writeTo(w *bufio.Writer) {
	_, _ = w.Write(s.head)
	var tag [binary.MaxVarintLen64 + 1]byte
	for i, item := range s.items {
		if s.format == "json" {
			if i > 0 {
				_ = w.WriteByte(',')
			}
		} else {
			tag[0] = itemsFieldTag
			n := binary.PutUvarint(tag[1:], uint64(len(item)))
			_, _ = w.Write(tag[:1+n])
		}
		_, _ = w.Write(item)
	}
	_, _ = w.Write(s.tail)
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// withItems returns a shallow copy of list holding only its first n items.
func withItems(list runtime.Object, n int) (runtime.Object, error) {
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, errors.New("list is not a pointer to a struct")
	}
	cp := reflect.New(v.Elem().Type())
	cp.Elem().Set(v.Elem())
	items := cp.Elem().FieldByName("Items")
	if !items.IsValid() || items.Kind() != reflect.Slice || items.Len() < n {
		return nil, errors.New("list has no items slice")
	}
	items.Set(items.Slice3(0, n, n))
	if n == 0 {
		items.Set(reflect.MakeSlice(items.Type(), 0, 0))
	}
	return cp.Interface().(runtime.Object), nil
}

// verified reports whether splicing is right for format, checking it against the
// serializer's encoding of a one-item list the first time.
func (l *listEncoder) verified(format string, ser runtime.Encoder, list, first runtime.Object) bool {
	l.mu.Lock()
	ok, seen := l.checked[format]
	l.mu.Unlock()
	if seen {
		return ok
	}
	ok = spliceMatches(format, ser, list, first)
	l.mu.Lock()
	if l.checked == nil {
		l.checked = map[string]bool{}
	}
	l.checked[format] = ok
	l.mu.Unlock()
	return ok
}

func spliceMatches(format string, ser runtime.Encoder, list, first runtime.Object) bool {
	one, err := withItems(list, 0)
	if err != nil || meta.SetList(one, []runtime.Object{withoutKind(first)}) != nil {
		return false
	}
	var want bytes.Buffer
	if err := ser.Encode(one, &want); err != nil {
		return false
	}
	item, err := encodeItem(format, withoutKind(first))
	if err != nil {
		return false
	}
	spliced, err := spliceList(format, ser, list, [][]byte{item})
	if err != nil {
		return false
	}
	var got bytes.Buffer
	bw := bufio.NewWriter(&got)
	spliced.writeTo(bw)
	_ = bw.Flush()
	return bytes.Equal(got.Bytes(), want.Bytes())
}

// encodeItem encodes one list item as the list's serializer would inside the list.
func encodeItem(format string, item runtime.Object) ([]byte, error) {
	if format == "json" {
		return json.Marshal(item)
	}
	m, ok := item.(protoMarshaler)
	if !ok {
		return nil, errors.New("item has no protobuf encoding")
	}
	return m.Marshal()
}

// items returns the encodings of items in format, from earlier lists where the
// object has not changed since.
func (l *listEncoder) items(format string, items []runtime.Object) ([][]byte, error) {
	out := make([][]byte, len(items))
	type miss struct {
		i        int
		uid, rv  string
		cachable bool
	}
	var misses []miss
	l.mu.Lock()
	l.gen++
	gen := l.gen
	for i, item := range items {
		acc, err := meta.Accessor(item)
		if err != nil {
			l.mu.Unlock()
			return nil, err
		}
		uid, rv := string(acc.GetUID()), acc.GetResourceVersion()
		cachable := uid != "" && rv != ""
		if cachable {
			if e := l.entries[itemKey{uid, format}]; e != nil && e.rv == rv {
				e.used = gen
				out[i] = e.data
				continue
			}
		}
		misses = append(misses, miss{i, uid, rv, cachable})
	}
	l.mu.Unlock()
	for _, m := range misses {
		data, err := encodeItem(format, withoutKind(items[m.i]))
		if err != nil {
			return nil, err
		}
		out[m.i] = data
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.entries == nil {
		l.entries = map[itemKey]*itemEntry{}
	}
	for _, m := range misses {
		if !m.cachable {
			continue
		}
		key := itemKey{m.uid, format}
		size := int64(len(out[m.i]))
		if old := l.entries[key]; old != nil {
			size -= int64(len(old.data))
		}
		if l.budget.Add(size) > listItemBudget {
			l.budget.Add(-size)
			continue
		}
		l.entries[key] = &itemEntry{rv: m.rv, data: out[m.i], used: gen}
	}
	if gen%listSweepEvery == 0 {
		l.sweep(gen)
	}
	return out, nil
}

// sweep drops the encodings no list returned in the last listSweepEvery lists.
func (l *listEncoder) sweep(gen uint32) {
	for k, e := range l.entries {
		if gen-e.used >= listSweepEvery {
			l.budget.Add(-int64(len(e.data)))
			delete(l.entries, k)
		}
	}
}
