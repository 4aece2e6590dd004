package filters

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// WithImpersonation lets a user act as another (Impersonate-User, -Group, -Uid and
// -Extra-* headers) when authorized with the impersonate verb on each requested
// user, group, uid, service account and extra value, as upstream's classic
// impersonation does. The headers are removed before the request goes on.
func WithImpersonation(next http.Handler, a authz.Authorizer, writeError ErrorWriter) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wants, err := impersonationRequests(r.Header)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if len(wants) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		ctx := r.Context()
		requestor, ok := request.UserFrom(ctx)
		if !ok {
			writeError(w, r, apierrors.NewInternalError(fmt.Errorf("no user found for request")))
			return
		}
		groupsGiven := len(r.Header.Values(authenticationv1.ImpersonateGroupHeader)) > 0
		target := &request.User{Groups: []string{}, Extra: map[string][]string{}}
		for _, want := range wants {
			info := &request.Info{IsResourceRequest: true, Verb: "impersonate", Namespace: want.Namespace, Name: want.Name}
			switch want.Kind {
			case "ServiceAccount":
				info.Resource = "serviceaccounts"
				target.Name = "system:serviceaccount:" + want.Namespace + ":" + want.Name
				if !groupsGiven {
					target.Groups = []string{"system:serviceaccounts", "system:serviceaccounts:" + want.Namespace}
				}
			case "User":
				info.Resource = "users"
				target.Name = want.Name
			case "Group":
				info.Resource = "groups"
				target.Groups = append(target.Groups, want.Name)
			case "UserExtra":
				info.APIGroup, info.APIVersion = authenticationv1.GroupName, "v1"
				info.Resource, info.Subresource = "userextras", want.FieldPath
				target.Extra[want.FieldPath] = append(target.Extra[want.FieldPath], want.Name)
			case "UID":
				info.APIGroup, info.APIVersion = authenticationv1.GroupName, "v1"
				info.Resource = "uids"
				target.UID = want.Name
			}
			d, reason, err := a.Authorize(ctx, authz.Attributes{User: requestor, Info: info})
			if err != nil || d != authz.Allow {
				writeError(w, r, Forbidden(requestor, info, reason))
				return
			}
		}
		target.Groups = withAuthenticationGroup(target.Name, target.Groups)
		for name := range r.Header {
			if name == authenticationv1.ImpersonateUserHeader || name == authenticationv1.ImpersonateGroupHeader ||
				name == authenticationv1.ImpersonateUIDHeader || strings.HasPrefix(name, authenticationv1.ImpersonateUserExtraHeaderPrefix) {
				r.Header.Del(name)
			}
		}
		ctx = request.WithImpersonator(request.WithUser(ctx, target), requestor)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withAuthenticationGroup adds system:authenticated (system:unauthenticated for
// system:anonymous) unless one of them is already there.
func withAuthenticationGroup(name string, groups []string) []string {
	if name == request.Anonymous {
		if !slices.Contains(groups, request.AllUnauthenticated) {
			groups = append(groups, request.AllUnauthenticated)
		}
		return groups
	}
	if !slices.Contains(groups, request.AllAuthenticated) && !slices.Contains(groups, request.AllUnauthenticated) {
		groups = append(groups, request.AllAuthenticated)
	}
	return groups
}

// impersonationRequests lists what the headers ask to impersonate, in upstream's
// order: the user (or service account), groups, extras, uid.
func impersonationRequests(h http.Header) ([]corev1.ObjectReference, error) {
	var out []corev1.ObjectReference
	userName := h.Get(authenticationv1.ImpersonateUserHeader)
	if userName != "" {
		if ns, name, ok := splitServiceAccount(userName); ok {
			out = append(out, corev1.ObjectReference{Kind: "ServiceAccount", Namespace: ns, Name: name})
		} else {
			out = append(out, corev1.ObjectReference{Kind: "User", Name: userName})
		}
	}
	others := false
	for _, g := range h.Values(authenticationv1.ImpersonateGroupHeader) {
		others = true
		out = append(out, corev1.ObjectReference{Kind: "Group", Name: g})
	}
	for name, values := range h {
		if !strings.HasPrefix(name, authenticationv1.ImpersonateUserExtraHeaderPrefix) {
			continue
		}
		others = true
		key := strings.ToLower(name[len(authenticationv1.ImpersonateUserExtraHeaderPrefix):])
		if k, err := url.PathUnescape(key); err == nil {
			key = k
		}
		for _, v := range values {
			out = append(out, corev1.ObjectReference{Kind: "UserExtra", APIVersion: "authentication.k8s.io/v1", Name: v, FieldPath: key})
		}
	}
	if uid := h.Get(authenticationv1.ImpersonateUIDHeader); uid != "" {
		others = true
		out = append(out, corev1.ObjectReference{Kind: "UID", APIVersion: "authentication.k8s.io/v1", Name: uid})
	}
	if others && userName == "" {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("requested %v without impersonating a user", out))
	}
	return out, nil
}

// splitServiceAccount splits "system:serviceaccount:<ns>:<name>".
func splitServiceAccount(user string) (ns, name string, ok bool) {
	rest, found := strings.CutPrefix(user, "system:serviceaccount:")
	if !found {
		return "", "", false
	}
	ns, name, found = strings.Cut(rest, ":")
	if !found || strings.Contains(name, ":") ||
		len(validation.IsDNS1123Label(ns)) > 0 || len(validation.IsDNS1123Subdomain(name)) > 0 {
		return "", "", false
	}
	return ns, name, true
}
