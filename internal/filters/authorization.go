package filters

import (
	"fmt"
	"net/http"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// The audit annotations of the authorization decision, as upstream names them.
const (
	DecisionAnnotation = "authorization.k8s.io/decision"
	ReasonAnnotation   = "authorization.k8s.io/reason"
)

// WithAuthorization lets the request through only when the authorizer allows it and
// answers 403 with upstream's message otherwise.
func WithAuthorization(next http.Handler, a authz.Authorizer, writeError ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		u, _ := request.UserFrom(ctx)
		info, _ := request.InfoFrom(ctx)
		d, reason, err := a.Authorize(ctx, authz.Attributes{User: u, Info: info})
		if d == authz.Allow {
			request.AddAuditAnnotation(ctx, DecisionAnnotation, "allow")
			request.AddAuditAnnotation(ctx, ReasonAnnotation, reason)
			next.ServeHTTP(w, r)
			return
		}
		if err != nil {
			request.AddAuditAnnotation(ctx, ReasonAnnotation, "internal error")
			writeError(w, r, apierrors.NewInternalError(err))
			return
		}
		request.AddAuditAnnotation(ctx, DecisionAnnotation, "forbid")
		request.AddAuditAnnotation(ctx, ReasonAnnotation, reason)
		writeError(w, r, Forbidden(u, info, reason))
	})
}

// Forbidden builds the 403 of an unauthorized request, worded as upstream's.
func Forbidden(u *request.User, info *request.Info, reason string) error {
	name := ""
	if u != nil {
		name = u.Name
	}
	var msg string
	if info == nil || !info.IsResourceRequest {
		path, verb := "", ""
		if info != nil {
			path, verb = info.Path, info.Verb
		}
		msg = fmt.Sprintf("User %q cannot %s path %q", name, verb, path)
		if reason != "" {
			msg += ": " + reason
		}
		return apierrors.NewForbidden(schema.GroupResource{}, "", fmt.Errorf("%s", escape(msg)))
	}
	resource := info.Resource
	if info.Subresource != "" {
		resource += "/" + info.Subresource
	}
	msg = fmt.Sprintf("User %q cannot %s resource %q in API group %q", name, info.Verb, resource, info.APIGroup)
	if info.Namespace != "" {
		msg += fmt.Sprintf(" in the namespace %q", info.Namespace)
	} else {
		msg += " at the cluster scope"
	}
	if reason != "" {
		msg += ": " + reason
	}
	return apierrors.NewForbidden(schema.GroupResource{Group: info.APIGroup, Resource: info.Resource}, info.Name, fmt.Errorf("%s", escape(msg)))
}

// escape keeps user-controlled text in the message from being read as markup, as
// upstream does.
var escape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
