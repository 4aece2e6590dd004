package endpoints

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/kapi-dev/kapi/internal/request"
)

// Upstream serves built-in resources behind the go-restful router, which refuses
// a request whose Accept header names none of the route's media types before any
// handler runs, with its own words and an empty details object. Its test is
// plainer than content negotiation: each listed type without its parameters,
// compared as written, or */* (application/* and a type in capitals do not
// pass). Custom resources are served past that router and negotiate as usual.

// acceptCheck refuses, as upstream's router, a request to a built-in resource
// that accepts none of the media types its route produces.
func (e *endpoint) acceptCheck(r *http.Request, info *request.Info) error {
	accept := r.Header.Get("Accept")
	if e.custom || accept == "" {
		return nil
	}
	if info.Verb == "patch" {
		// The router refuses a body it cannot take first (patch.go).
		switch types.PatchType(mediaTypeOf(r.Header.Get("Content-Type"))) {
		case types.JSONPatchType, types.MergePatchType, types.StrategicMergePatchType, types.ApplyYAMLPatchType:
		default:
			return nil
		}
	}
	produces := e.api.supported
	if info.Subresource == "" && info.Name == "" && (info.Verb == "list" || info.Verb == "watch") {
		produces = e.api.collectionProduces
	}
	if restfulAccepts(accept, produces) {
		return nil
	}
	st := statusError(http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable,
		fmt.Sprintf("406: Not Acceptable\n\nAvailable representations: %s", strings.Join(produces, ", ")))
	st.ErrStatus.Details = &metav1.StatusDetails{}
	return st
}

// watchMediaTypes are the stream types a collection's route lists besides the
// supported ones: its GET also serves watches.
var watchMediaTypes = []string{"application/json;stream=watch", "application/vnd.kubernetes.protobuf;stream=watch"}

// restfulAccepts is go-restful's test of an Accept header against a route's types.
func restfulAccepts(accept string, produces []string) bool {
	for more := true; more; {
		var part string
		part, accept, more = strings.Cut(accept, ",")
		mediaType, _, _ := strings.Cut(part, ";")
		mediaType = strings.TrimSpace(mediaType)
		if mediaType == "*/*" || slices.Contains(produces, mediaType) {
			return true
		}
	}
	return false
}
