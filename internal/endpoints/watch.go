package endpoints

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"

	"github.com/kapi-dev/kapi/internal/metrics"
)

// MinRequestTimeout is the base of a watch's server-side timeout when the client sets
// none: a random duration between it and twice it, as upstream's --min-request-timeout.
const MinRequestTimeout = 1800 * time.Second

// SetMinRequestTimeout sets --min-request-timeout; 0 lets a watch whose client set no
// timeoutSeconds run until the client or shutdown ends it. Call it before serving.
func (a *API) SetMinRequestTimeout(d time.Duration) { a.minRequestTimeout = d }

// watchTimeout is how long a watch runs: the client's timeoutSeconds, else a random
// duration in [min, 2*min) that spreads reconnections out; 0 means no end.
func (a *API) watchTimeout(timeoutSeconds *int64) time.Duration {
	if timeoutSeconds != nil && *timeoutSeconds > 0 {
		return time.Duration(*timeoutSeconds) * time.Second
	}
	if a.minRequestTimeout <= 0 {
		return 0
	}
	return time.Duration(float64(a.minRequestTimeout) * (1 + rand.Float64()))
}

func (e *endpoint) watch(w http.ResponseWriter, r *http.Request, ns, name string) {
	out, err := e.negotiateOutput(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if out.info.StreamSerializer == nil {
		e.api.WriteError(w, r, statusError(http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable,
			"only the following media types are accepted: application/json, application/vnd.kubernetes.protobuf"))
		return
	}
	opts, err := e.api.listOptions(r, true)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	if name != "" {
		// GET /watch/<resource>/<name> and ?watch=true on a named object watch one name.
		sel := fields.OneTermEqualSelector("metadata.name", name)
		if opts.FieldSelector != "" {
			sel = fields.AndSelectors(sel, fields.ParseSelectorOrDie(opts.FieldSelector))
		}
		opts.FieldSelector = sel.String()
	}
	// The watcher ends itself, closing its result channel, when the request ends,
	// its time is up or the server shuts down (ctx), so that the loop below waits on
	// its one channel: a select costs more with each channel, runs once per event,
	// and locks every channel it waits on, which a channel shared by a thousand
	// watchers turns into contention.
	var ctx context.Context
	var cancel context.CancelFunc
	if timeout := e.api.watchTimeout(opts.TimeoutSeconds); timeout > 0 {
		ctx, cancel = context.WithTimeout(r.Context(), timeout)
	} else {
		ctx, cancel = context.WithCancel(r.Context())
	}
	defer cancel()
	defer e.api.watches.add(cancel)() // registered now, unregistered on return
	watcher, err := e.store.Watch(ctx, ns, opts)
	if err != nil {
		e.api.WriteError(w, r, err)
		return
	}
	defer watcher.Stop()

	flusher, ok := w.(http.Flusher)
	if !ok {
		e.api.WriteError(w, r, apierrors.NewInternalError(fmt.Errorf("unable to start watch - can't get http.Flusher: %T", w)))
		return
	}
	mediaType := out.info.MediaType
	if mediaType != runtime.ContentTypeJSON {
		mediaType += ";stream=watch"
	}
	w.Header().Set("Content-Type", mediaType)
	w.Header().Set("Transfer-Encoding", "chunked")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()

	enc := &watchEncoder{e: e, r: r, out: out, headers: true}
	enc.framer = out.info.StreamSerializer.Framer.NewFrameWriter(&enc.batch)
	results := watcher.ResultChan()
	record := metrics.WatchEventRecorder(ctx)
	for ev := range results {
		size, err := enc.add(ev)
		if err != nil {
			return
		}
		record(size)
		// The events that are ready go out together: one write and one flush (one
		// HTTP/2 DATA frame, one TLS record) per burst rather than per event, which
		// is what keeps a thousand watchers of a busy resource from spending their
		// time in frame writes and syscalls.
		if len(results) > 0 && enc.batch.Len() < maxWatchBatch {
			continue
		}
		if _, err := w.Write(enc.batch.Bytes()); err != nil {
			return
		}
		flusher.Flush()
		enc.reset()
	}
}

// maxWatchBatch bounds the bytes of events a watch gathers before writing them out.
const maxWatchBatch = 64 << 10

// watchEncoder appends a watch's events, framed for its stream, to batch.
type watchEncoder struct {
	e   *endpoint
	r   *http.Request
	out output
	// headers is whether the next Table still carries its column definitions.
	headers bool
	batch   bytes.Buffer
	framer  io.Writer    // frames into batch
	obj     bytes.Buffer // scratch for an object encoded for this watcher alone
}

// add appends ev and returns the size of its encoded object.
func (w *watchEncoder) add(ev watch.Event) (int, error) {
	if w.out.as == "" && ev.Type != watch.Error && ev.Type != watch.Bookmark {
		return w.addShared(ev)
	}
	obj, err := w.e.watchObject(w.r, w.out, ev, w.headers)
	if err != nil {
		obj = errorStatus(err)
		ev.Type = watch.Error
	}
	// As upstream, only the first event of a Table watch, whatever its type,
	// carries the column definitions.
	w.headers = false
	return w.encode(ev.Type, obj)
}

// addShared appends an event whose object every watcher of the resource shares
// (read-only): the first watcher to send it converts and encodes it, the others
// copy its bytes from the API's encodeCache. Objects without a uid or
// resourceVersion are encoded every time.
func (w *watchEncoder) addShared(ev watch.Event) (int, error) {
	acc, err := meta.Accessor(ev.Object)
	cacheable := err == nil && acc.GetResourceVersion() != "" && acc.GetUID() != ""
	var key encodeKey
	if cacheable {
		key = encodeKey{gvk: w.e.res.GroupVersionKind(), uid: string(acc.GetUID()), rv: acc.GetResourceVersion(),
			format: w.out.info.MediaType, typ: ev.Type}
		if enc, ok := w.e.api.encoded.get(key); ok {
			w.batch.Write(enc.frame)
			return enc.objectSize, nil
		}
	}
	obj, err := w.e.toServed(ev.Object)
	if err != nil {
		return w.add(watch.Event{Type: watch.Error, Object: errorStatus(err)})
	}
	start := w.batch.Len()
	size, err := w.encode(ev.Type, obj)
	if err == nil && cacheable {
		// The cache keeps its own copy: batch is reused.
		w.e.api.encoded.put(key, encodedEvent{frame: bytes.Clone(w.batch.Bytes()[start:]), objectSize: size})
	}
	return size, err
}

// encode appends obj as an event of type typ and returns the size of the object's
// encoding.
func (w *watchEncoder) encode(typ watch.EventType, obj runtime.Object) (int, error) {
	w.obj.Reset()
	if err := w.out.info.Serializer.Encode(obj, &w.obj); err != nil {
		return 0, err
	}
	we := &metav1.WatchEvent{Type: string(typ), Object: runtime.RawExtension{Raw: w.obj.Bytes()}}
	return w.obj.Len(), w.out.info.StreamSerializer.Serializer.Encode(we, w.framer)
}

// reset empties batch once written; a batch grown by a large burst or object is
// let go rather than held for the rest of the watch.
func (w *watchEncoder) reset() {
	if w.batch.Cap() > maxWatchBatch {
		w.batch = bytes.Buffer{}
	}
	w.batch.Reset()
	if w.obj.Cap() > maxWatchBatch {
		w.obj = bytes.Buffer{}
	}
}

// watchObject turns one event's object into what the client asked for.
func (e *endpoint) watchObject(r *http.Request, out output, ev watch.Event, headers bool) (runtime.Object, error) {
	if ev.Type == watch.Error {
		if st, ok := ev.Object.(*metav1.Status); ok {
			st.SetGroupVersionKind(statusGVK)
			return st, nil
		}
		return ev.Object, nil
	}
	switch out.as {
	case asTable:
		// Bookmarks too become a one-row Table, so that a client reading a Table
		// watch (kubectl get -w, WatchList in Table form) decodes every event alike.
		return e.table(r, out, []runtime.Object{ev.Object}, nil, headers)
	case asMetadata:
		return partialMetadata(ev.Object, out.asVersion)
	}
	return e.toServed(ev.Object)
}
