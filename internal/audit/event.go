package audit

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// Event is an audit.k8s.io/v1 Event; the JSON field names and their order are
// upstream's, so that audit tooling reads kapi's logs unchanged.
type Event struct {
	metav1.TypeMeta  `json:",inline"`
	Level            Level                      `json:"level"`
	AuditID          types.UID                  `json:"auditID"`
	Stage            Stage                      `json:"stage"`
	RequestURI       string                     `json:"requestURI"`
	Verb             string                     `json:"verb"`
	User             authenticationv1.UserInfo  `json:"user"`
	ImpersonatedUser *authenticationv1.UserInfo `json:"impersonatedUser,omitempty"`
	SourceIPs        []string                   `json:"sourceIPs,omitempty"`
	UserAgent        string                     `json:"userAgent,omitempty"`
	ObjectRef        *ObjectReference           `json:"objectRef,omitempty"`
	ResponseStatus   *metav1.Status             `json:"responseStatus,omitempty"`
	// RequestObject and ResponseObject are JSON documents (or absent).
	RequestObject            json.RawMessage   `json:"requestObject,omitempty"`
	ResponseObject           json.RawMessage   `json:"responseObject,omitempty"`
	RequestReceivedTimestamp metav1.MicroTime  `json:"requestReceivedTimestamp"`
	StageTimestamp           metav1.MicroTime  `json:"stageTimestamp"`
	Annotations              map[string]string `json:"annotations,omitempty"`
}

// ObjectReference is the object a resource request addresses.
type ObjectReference struct {
	Resource        string    `json:"resource,omitempty"`
	Namespace       string    `json:"namespace,omitempty"`
	Name            string    `json:"name,omitempty"`
	UID             types.UID `json:"uid,omitempty"`
	APIGroup        string    `json:"apiGroup,omitempty"`
	APIVersion      string    `json:"apiVersion,omitempty"`
	ResourceVersion string    `json:"resourceVersion,omitempty"`
	Subresource     string    `json:"subresource,omitempty"`
}

// EventList is the body the webhook backend posts.
type EventList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Event `json:"items"`
}

var eventTypeMeta = metav1.TypeMeta{Kind: "Event", APIVersion: PolicyGroupVersion}

// NewEvent returns an event with its kind and apiVersion set.
func NewEvent() *Event { return &Event{TypeMeta: eventTypeMeta} }

// DeepCopy returns a copy that shares nothing mutable with e, so that the filter can
// keep changing its event while backends hold earlier stages.
func (e *Event) DeepCopy() *Event {
	c := *e
	c.User = *e.User.DeepCopy()
	if e.ImpersonatedUser != nil {
		c.ImpersonatedUser = e.ImpersonatedUser.DeepCopy()
	}
	c.SourceIPs = slices.Clone(e.SourceIPs)
	if e.ObjectRef != nil {
		ref := *e.ObjectRef
		c.ObjectRef = &ref
	}
	if e.ResponseStatus != nil {
		c.ResponseStatus = e.ResponseStatus.DeepCopy()
	}
	c.Annotations = maps.Clone(e.Annotations)
	return &c
}

// legacyLine formats e as upstream's one-line "legacy" log format.
func legacyLine(e *Event) string {
	username, groups := "<none>", "<none>"
	if e.User.Username != "" {
		username = e.User.Username
		if len(e.User.Groups) > 0 {
			groups = quoteJoin(e.User.Groups)
		}
	}
	as, asGroups := "<self>", "<lookup>"
	if e.ImpersonatedUser != nil {
		as = e.ImpersonatedUser.Username
		if e.ImpersonatedUser.Groups != nil {
			asGroups = quoteJoin(e.ImpersonatedUser.Groups)
		}
	}
	namespace := "<none>"
	if e.ObjectRef != nil && e.ObjectRef.Namespace != "" {
		namespace = e.ObjectRef.Namespace
	}
	response := "<deferred>"
	if e.ResponseStatus != nil {
		response = strconv.Itoa(int(e.ResponseStatus.Code))
	}
	ip := "<unknown>"
	if len(e.SourceIPs) > 0 {
		ip = e.SourceIPs[0]
	}
	return fmt.Sprintf("%s AUDIT: id=%q stage=%q ip=%q method=%q user=%q groups=%q as=%q asgroups=%q user-agent=%q namespace=%q uri=%q response=\"%s\"\n",
		e.RequestReceivedTimestamp.Format(time.RFC3339Nano), e.AuditID, e.Stage, ip, e.Verb, username, groups, as, asGroups, e.UserAgent, namespace, e.RequestURI, response)
}

func quoteJoin(list []string) string {
	quoted := make([]string, len(list))
	for i, s := range list {
		quoted[i] = strconv.Quote(s)
	}
	return strings.Join(quoted, ",")
}
