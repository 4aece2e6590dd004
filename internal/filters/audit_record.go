package filters

import (
	"context"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"sigs.k8s.io/yaml"

	"github.com/kapi-dev/kapi/internal/audit"
	"github.com/kapi-dev/kapi/internal/request"
)

const (
	maxUserAgentLength = 1024
	// maxRequestCapture matches the endpoints' body limit: a larger body is refused
	// anyway.
	maxRequestCapture = 3 << 20
	// maxStatusCapture bounds the response captured below RequestResponse, where only
	// a Status body (small) matters.
	maxStatusCapture = 64 << 10
	// maxResponseCapture bounds responseObject; a larger response is not recorded.
	maxResponseCapture = 32 << 20
)

// auditRecord is one request's audit state, shared by the audit filters and the
// response writer through the request context.
type auditRecord struct {
	cfg         *AuditConfig
	r           *http.Request
	ctx         context.Context
	info        *request.Info
	received    time.Time
	longRunning bool

	// mu guards everything below: the handler's goroutine and the writer's callers
	// (which may differ for streaming responses) both update the event.
	mu sync.Mutex
	// evaluated is set once the policy ran; authenticated once the user was known.
	evaluated, authenticated bool
	rc                       audit.RequestConfig
	// ev is nil when the request is not audited (level None or not yet evaluated).
	ev *audit.Event
	// code is the response status, 0 until the header is written.
	code            int
	respContentType string
	reqBody         *capture
	respBody        *capture
}

func newAuditRecord(cfg *AuditConfig, r *http.Request) *auditRecord {
	info, ok := request.InfoFrom(r.Context())
	if !ok {
		info = request.ParseInfo(r)
	}
	// Long-running requests (upstream's check, shared with the metrics filter) get a
	// ResponseStarted event and never a responseObject.
	long := IsLongRunning(info)
	rec := &auditRecord{cfg: cfg, r: r, ctx: r.Context(), info: info, received: time.Now(), longRunning: long}
	if !long {
		// Until the level is known, keep what a Status needs (a 401 is written before).
		rec.respBody = &capture{limit: maxStatusCapture}
	}
	return rec
}

// evaluate runs the policy for u (nil: authentication failed) and starts the event.
// Callers hold mu.
func (rec *auditRecord) evaluate(u *request.User) {
	rec.evaluated = true
	rec.rc = rec.cfg.Evaluator.Evaluate(u, rec.info)
	rec.cfg.Metrics.ObserveLevel(rec.rc.Level)
	if rec.rc.Level == audit.LevelNone {
		rec.respBody = nil
		return
	}
	if rec.respBody != nil && rec.rc.Level == audit.LevelRequestResponse {
		rec.respBody.limit = maxResponseCapture
	}
	r := rec.r
	ev := audit.NewEvent()
	ev.Level = rec.rc.Level
	ev.AuditID = types.UID(request.AuditIDFrom(rec.ctx))
	ev.RequestURI = r.URL.RequestURI()
	ev.Verb = rec.info.Verb
	ev.UserAgent = r.UserAgent()
	if len(ev.UserAgent) > maxUserAgentLength {
		ev.UserAgent = ev.UserAgent[:maxUserAgentLength] + "...TRUNCATED"
	}
	for _, ip := range utilnet.SourceIPs(r) {
		ev.SourceIPs = append(ev.SourceIPs, ip.String())
	}
	if u != nil {
		ev.User = userInfo(u)
	}
	if rec.info.IsResourceRequest {
		ev.ObjectRef = &audit.ObjectReference{Resource: rec.info.Resource, Namespace: rec.info.Namespace,
			Name: rec.info.Name, APIGroup: rec.info.APIGroup, APIVersion: rec.info.APIVersion, Subresource: rec.info.Subresource}
	}
	ev.RequestReceivedTimestamp = metav1.NewMicroTime(rec.received)
	rec.ev = ev
}

// begin evaluates the policy for the authenticated user, arranges the request body's
// capture and sends RequestReceived; false means the backend refused the event.
func (rec *auditRecord) begin(u *request.User, r *http.Request) bool {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.authenticated = true
	rec.evaluate(u)
	if rec.ev == nil {
		return true
	}
	// Bodies are recorded at Request level and above; create and update bodies are
	// read at Metadata level too, for the object reference's name and uid.
	wantsBody := !rec.rc.Level.Less(audit.LevelRequest) || rec.info.Verb == "create" || rec.info.Verb == "update"
	if rec.info.IsResourceRequest && wantsBody && r.Body != nil && r.Body != http.NoBody {
		rec.reqBody = &capture{limit: maxRequestCapture}
		r.Body = &teeBody{ReadCloser: r.Body, rec: rec}
	}
	return rec.send(audit.StageRequestReceived)
}

// impersonated records the user the request acts as.
func (rec *auditRecord) impersonated(u *request.User) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.ev != nil && u != nil {
		info := userInfo(u)
		rec.ev.ImpersonatedUser = &info
	}
}

// send hands a copy of the event at stage to the backends unless the policy omits
// the stage. Callers hold mu.
func (rec *auditRecord) send(stage audit.Stage) bool {
	if rec.rc.Omits(stage) {
		return true
	}
	ev := rec.ev
	ev.Stage = stage
	ev.StageTimestamp = metav1.NewMicroTime(time.Now())
	if stage == audit.StageRequestReceived {
		ev.StageTimestamp = ev.RequestReceivedTimestamp
	}
	ev.Annotations = request.AuditAnnotationsFrom(rec.ctx)
	if len(ev.Annotations) == 0 {
		ev.Annotations = nil
	}
	rec.cfg.Metrics.ObserveEvent()
	return rec.cfg.Backend.ProcessEvents(ev.DeepCopy())
}

// headerWritten is the writer's report of the response status.
func (rec *auditRecord) headerWritten(code int, contentType string) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.code, rec.respContentType = code, contentType
	if rec.ev == nil {
		return
	}
	if rec.ev.ResponseStatus == nil {
		rec.ev.ResponseStatus = &metav1.Status{}
	}
	rec.ev.ResponseStatus.Code = int32(code)
	if rec.longRunning {
		rec.send(audit.StageResponseStarted)
	}
}

// bodyWritten is the writer's report of response bytes.
func (rec *auditRecord) bodyWritten(p []byte) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.respBody != nil {
		rec.respBody.write(p)
	}
}

// panicked sends the Panic stage.
func (rec *auditRecord) panicked(p any) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.ev == nil {
		return
	}
	rec.ev.ResponseStatus = &metav1.Status{Code: http.StatusInternalServerError, Status: metav1.StatusFailure,
		Reason: metav1.StatusReasonInternalError, Message: fmt.Sprintf("APIServer panic'd: %v", p)}
	rec.send(audit.StagePanic)
}

// complete sends the last event once the handler returned: ResponseComplete, or for
// a request authentication refused the single ResponseStarted event upstream sends.
func (rec *auditRecord) complete() {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if !rec.authenticated {
		rec.evaluate(nil)
		if rec.ev == nil {
			return
		}
		rec.ev.ResponseStatus = &metav1.Status{Code: int32(rec.code), Message: attemptedAuthentication(rec.r)}
		rec.recordResponseStatus()
		rec.send(audit.StageResponseStarted)
		return
	}
	if rec.ev == nil {
		return
	}
	if rec.ev.ResponseStatus == nil {
		rec.ev.ResponseStatus = &metav1.Status{Code: http.StatusOK, Status: metav1.StatusSuccess, Message: "Connection closed early"}
		if rec.longRunning {
			rec.send(audit.StageResponseStarted)
		}
	}
	rec.recordRequestObject()
	rec.recordResponseStatus()
	if !rec.rc.Level.Less(audit.LevelRequestResponse) && rec.respBody != nil && !rec.respBody.overflow {
		if doc, ok := rec.toJSON(rec.respContentType, rec.respBody.buf); ok {
			rec.ev.ResponseObject = rec.omitManagedFields(doc)
		}
	}
	rec.send(audit.StageResponseComplete)
}

// recordResponseStatus copies a Status response's bounded fields, as upstream does
// for Status objects at every level.
func (rec *auditRecord) recordResponseStatus() {
	if rec.respBody == nil || rec.respBody.overflow || len(rec.respBody.buf) == 0 {
		return
	}
	doc, ok := rec.toJSON(rec.respContentType, rec.respBody.buf)
	if !ok {
		return
	}
	var st metav1.Status
	if json.Unmarshal(doc, &st) != nil || st.Kind != "Status" {
		return
	}
	code := rec.ev.ResponseStatus.Code
	if code == 0 {
		code = st.Code
	}
	rec.ev.ResponseStatus = &metav1.Status{Status: st.Status, Message: st.Message, Reason: st.Reason, Details: st.Details, Code: code}
}

// recordRequestObject fills the object reference from a create or update body and
// records the body at Request level and above.
func (rec *auditRecord) recordRequestObject() {
	if rec.reqBody == nil || rec.reqBody.overflow || len(rec.reqBody.buf) == 0 {
		return
	}
	doc, ok := rec.toJSON(rec.r.Header.Get("Content-Type"), rec.reqBody.buf)
	if !ok {
		return
	}
	if rec.info.Verb == "create" || rec.info.Verb == "update" {
		var obj struct {
			Metadata struct {
				Name, Namespace, UID, ResourceVersion string
			} `json:"metadata"`
		}
		if json.Unmarshal(doc, &obj) == nil {
			ref, m := rec.ev.ObjectRef, obj.Metadata
			ref.Name = cmpOr(ref.Name, m.Name)
			ref.Namespace = cmpOr(ref.Namespace, m.Namespace)
			ref.UID = types.UID(cmpOr(string(ref.UID), m.UID))
			ref.ResourceVersion = cmpOr(ref.ResourceVersion, m.ResourceVersion)
		}
	}
	if !rec.rc.Level.Less(audit.LevelRequest) {
		rec.ev.RequestObject = rec.omitManagedFields(doc)
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (rec *auditRecord) omitManagedFields(doc []byte) []byte {
	if rec.rc.OmitManagedFields {
		return audit.StripManagedFields(doc)
	}
	return doc
}

// toJSON returns body as a JSON document: JSON as is, YAML converted, other media
// types through the configured converter.
func (rec *auditRecord) toJSON(contentType string, body []byte) ([]byte, bool) {
	mediaType, _, _ := mime.ParseMediaType(contentType)
	switch {
	case mediaType == "" || mediaType == "application/json" || strings.HasSuffix(mediaType, "+json"):
		return body, json.Valid(body)
	case mediaType == "application/yaml" || strings.HasSuffix(mediaType, "+yaml"):
		doc, err := yaml.YAMLToJSON(body)
		return doc, err == nil && json.Valid(doc)
	case rec.cfg.ToJSON != nil:
		doc, ok := rec.cfg.ToJSON(mediaType, body)
		return doc, ok && json.Valid(doc)
	}
	return nil, false
}

func userInfo(u *request.User) authenticationv1.UserInfo {
	info := authenticationv1.UserInfo{Username: u.Name, UID: u.UID, Groups: u.Groups}
	if len(u.Extra) > 0 {
		info.Extra = map[string]authenticationv1.ExtraValue{}
		for k, v := range u.Extra {
			info.Extra[k] = authenticationv1.ExtraValue(v)
		}
	}
	return info
}

// attemptedAuthentication is upstream's message for a failed authentication, kept
// when the response is not a Status.
func attemptedAuthentication(r *http.Request) string {
	var methods []string
	if _, _, ok := r.BasicAuth(); ok {
		methods = append(methods, "basic")
	}
	if parts := strings.Split(strings.TrimSpace(r.Header.Get("Authorization")), " "); len(parts) > 1 && strings.EqualFold(parts[0], "bearer") {
		methods = append(methods, "bearer")
	}
	if strings.TrimSpace(r.URL.Query().Get("access_token")) != "" {
		methods = append(methods, "access_token")
	}
	if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
		methods = append(methods, "x509")
	}
	if len(methods) == 0 {
		return "Authentication failed, no credentials provided"
	}
	return "Authentication failed, attempted: " + strings.Join(methods, ", ")
}
