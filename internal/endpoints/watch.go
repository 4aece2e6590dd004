package endpoints

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
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
	timeout := e.api.watchTimeout(opts.TimeoutSeconds)
	ctx := r.Context()
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

	framer := out.info.StreamSerializer.Framer.NewFrameWriter(w)
	streamEnc := out.info.StreamSerializer.Serializer
	var buf bytes.Buffer
	var expired <-chan time.Time // nil: never
	if timeout > 0 {
		timer := time.NewTimer(timeout)
		defer timer.Stop()
		expired = timer.C
	}
	headers := true
	for {
		select {
		case <-ctx.Done():
			return
		case <-expired:
			return
		case <-e.api.stopWatches:
			return
		case ev, ok := <-watcher.ResultChan():
			if !ok {
				return
			}
			obj, err := e.watchObject(r, out, ev, headers)
			if err != nil {
				obj = errorStatus(err)
				ev.Type = watch.Error
			}
			if ev.Type != watch.Error && ev.Type != watch.Bookmark && out.as == asTable {
				headers = false
			}
			var raw []byte
			if out.as == "" && ev.Type != watch.Error && ev.Type != watch.Bookmark {
				// The object is the one every watcher of the event shares: encode once.
				if raw, err = e.api.encoded.encode(obj, ev.Type == watch.Deleted, out.info.MediaType, out.info.Serializer); err != nil {
					return
				}
			} else {
				buf.Reset()
				if err := out.info.Serializer.Encode(obj, &buf); err != nil {
					return
				}
				raw = buf.Bytes()
			}
			we := &metav1.WatchEvent{Type: string(ev.Type), Object: runtime.RawExtension{Raw: raw}}
			if err := streamEnc.Encode(we, framer); err != nil {
				return
			}
			metrics.RecordWatchEvent(ctx, len(raw))
			if len(watcher.ResultChan()) == 0 {
				flusher.Flush()
			}
		}
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
		if ev.Type == watch.Bookmark {
			return e.toServed(ev.Object)
		}
		return e.table(r, out, []runtime.Object{ev.Object}, nil, headers)
	case asMetadata:
		return partialMetadata(ev.Object, out.asVersion)
	}
	return e.toServed(ev.Object)
}
