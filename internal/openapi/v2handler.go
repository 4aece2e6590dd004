package openapi

import (
	"bytes"
	"crypto/sha512"
	"fmt"
	"net/http"
	"strconv"
	"time"

	openapi_v2 "github.com/google/gnostic-models/openapiv2"
	"github.com/munnerz/goautoneg"
	"google.golang.org/protobuf/proto"
	"k8s.io/kube-openapi/pkg/cached"
	"k8s.io/kube-openapi/pkg/validation/spec"
)

// Media types of /openapi/v2 besides JSON; kubectl asks for the protobuf form.
const (
	protoV2Type           = "com.github.proto-openapi.spec.v2.v1.0+protobuf"
	protoV2TypeDeprecated = "com.github.proto-openapi.spec.v2@v1.0+protobuf"
)

// encodedSpec is a serialized document and when it was serialized (Last-Modified).
type encodedSpec struct {
	data     []byte
	modified time.Time
}

// v2Handler serves /openapi/v2 as JSON or protobuf, each serialized once per spec
// and tagged with a content hash, as kube-apiserver does.
type v2Handler struct {
	spec  cached.LastSuccess[*spec.Swagger]
	json  cached.Value[encodedSpec]
	proto cached.Value[encodedSpec]
}

func newV2Handler() *v2Handler {
	h := &v2Handler{}
	h.json = cached.Transform[*spec.Swagger](func(sw *spec.Swagger, _ string, err error) (encodedSpec, string, error) {
		if err != nil {
			return encodedSpec{}, "", err
		}
		data, err := sw.MarshalJSON()
		if err != nil {
			return encodedSpec{}, "", err
		}
		return encodedSpec{data: data, modified: time.Now()}, etagOf(data), nil
	}, &h.spec)
	h.proto = cached.Transform(func(js encodedSpec, etag string, err error) (encodedSpec, string, error) {
		if err != nil {
			return encodedSpec{}, "", err
		}
		doc, err := openapi_v2.ParseDocument(js.data)
		if err != nil {
			return encodedSpec{}, "", err
		}
		data, err := proto.Marshal(doc)
		if err != nil {
			return encodedSpec{}, "", err
		}
		// Same etag as the JSON form: responses vary on Accept.
		return encodedSpec{data: data, modified: js.modified}, etag, nil
	}, h.json)
	return h
}

// update replaces the document; it is built on the next request.
func (h *v2Handler) update(sw cached.Value[*spec.Swagger]) { h.spec.Store(sw) }

func etagOf(data []byte) string {
	return fmt.Sprintf("%X", sha512.Sum512(data))
}

func (h *v2Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		accept = "*/*"
	}
	offers := []struct {
		subtype     string
		contentType string
		value       cached.Value[encodedSpec]
	}{
		{"json", "application/json", h.json},
		{protoV2TypeDeprecated, "application/" + protoV2Type, h.proto},
		{protoV2Type, "application/" + protoV2Type, h.proto},
	}
	w.Header().Add("Vary", "Accept")
	for _, clause := range goautoneg.ParseAccept(accept) {
		for _, o := range offers {
			if clause.Type != "application" && clause.Type != "*" {
				continue
			}
			if clause.SubType != o.subtype && clause.SubType != "*" {
				continue
			}
			enc, etag, err := o.value.Get()
			if err != nil && enc.data == nil {
				http.Error(w, err.Error(), http.StatusServiceUnavailable)
				return
			}
			w.Header().Set("Content-Type", o.contentType)
			w.Header().Set("Etag", strconv.Quote(etag))
			// ServeContent answers If-None-Match with 304 and handles HEAD and ranges.
			http.ServeContent(w, r, "", enc.modified, bytes.NewReader(enc.data))
			return
		}
	}
	w.WriteHeader(http.StatusNotAcceptable)
}
