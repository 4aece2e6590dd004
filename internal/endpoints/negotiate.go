package endpoints

import (
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/munnerz/goautoneg"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Transforms a client may ask for with the Accept parameter "as".
const (
	asTable        = "Table"
	asMetadata     = "PartialObjectMetadata"
	asMetadataList = "PartialObjectMetadataList"
)

// output is the negotiated response encoding.
type output struct {
	info runtime.SerializerInfo
	// as is "" for the object itself, or one of the as* transforms.
	as string
	// asVersion is the meta.k8s.io version of the transform (v1 or v1beta1).
	asVersion string
	pretty    bool
}

// negotiateOutput picks the response encoding from the Accept header. Transforms are
// honoured only when allowed (resource GET/LIST/WATCH).
func (a *API) negotiateOutput(r *http.Request, allowTransform bool) (output, error) {
	return a.negotiate(r, allowTransform, false)
}

// negotiateOutput is the API's negotiation for the endpoint's own objects: custom
// resources have no protobuf form, so a protobuf clause without a transform is
// passed over for the next one, as upstream.
func (e *endpoint) negotiateOutput(r *http.Request, allowTransform bool) (output, error) {
	return e.api.negotiate(r, allowTransform, e.custom)
}

func (a *API) negotiate(r *http.Request, allowTransform, textOnly bool) (output, error) {
	header := r.Header.Get("Accept")
	pretty := isPretty(r)
	if header == "" {
		return output{info: a.jsonInfo, pretty: pretty}, nil
	}
	for _, clause := range goautoneg.ParseAccept(header) {
		info, ok := a.serializerFor(clause.Type, clause.SubType)
		if !ok {
			continue
		}
		as := clause.Params["as"]
		if as == "" {
			if textOnly && info.MediaType == runtime.ContentTypeProtobuf {
				continue
			}
			return output{info: info, pretty: pretty}, nil
		}
		if !allowTransform || clause.Params["g"] != "meta.k8s.io" {
			continue
		}
		v := clause.Params["v"]
		if v != "v1" && v != "v1beta1" {
			continue
		}
		switch as {
		case asTable, asMetadata, asMetadataList:
			return output{info: info, as: as, asVersion: v, pretty: pretty}, nil
		}
	}
	return output{info: a.jsonInfo}, statusError(http.StatusNotAcceptable, metav1.StatusReasonNotAcceptable,
		fmt.Sprintf("only the following media types are accepted: %s", strings.Join(a.supported, ", ")))
}

func (a *API) serializerFor(typ, sub string) (runtime.SerializerInfo, bool) {
	if typ == "*" && sub == "*" || typ == "application" && sub == "*" {
		return a.jsonInfo, true
	}
	mt := typ + "/" + sub
	for _, info := range a.codecs.SupportedMediaTypes() {
		if info.MediaType == mt {
			return info, true
		}
	}
	return runtime.SerializerInfo{}, false
}

// negotiateInput finds the serializer for the request body's Content-Type.
func (a *API) negotiateInput(r *http.Request) (runtime.SerializerInfo, error) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return a.jsonInfo, nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil {
		for _, info := range a.codecs.SupportedMediaTypes() {
			if info.MediaType == mt {
				return info, nil
			}
		}
	}
	return runtime.SerializerInfo{}, statusError(http.StatusUnsupportedMediaType, metav1.StatusReasonUnsupportedMediaType,
		"the body of the request was in an unknown format - accepted media types include: "+strings.Join(a.supported, ", "))
}

// isPretty follows upstream: ?pretty=true, or a browser or command-line user agent.
func isPretty(r *http.Request) bool {
	if p := r.URL.Query().Get("pretty"); p != "" {
		return p == "1" || p == "true"
	}
	ua := r.UserAgent()
	return strings.HasPrefix(ua, "curl") || strings.HasPrefix(ua, "Wget") || strings.HasPrefix(ua, "Mozilla/")
}
