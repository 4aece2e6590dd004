package filters

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/apis"
	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/endpoints"
	"github.com/kapi-dev/kapi/internal/request"
)

// writeError is the server's real error writer.
var writeError = endpoints.New(apis.NewScheme(), nil, nil, nil).WriteError

func decodeStatus(t *testing.T, rec *httptest.ResponseRecorder) metav1.Status {
	t.Helper()
	var st metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		t.Fatalf("body %q is not a Status: %v", rec.Body.String(), err)
	}
	return st
}

func TestPanicRecovery(t *testing.T) {
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantBody string
	}{
		{"no panic", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }, 200, "ok"},
		{"string panic", func(http.ResponseWriter, *http.Request) { panic("boom") }, 500, ""},
		{"error panic", func(http.ResponseWriter, *http.Request) { panic(errors.New("boom")) }, 500, ""},
		{"runtime error panic", func(http.ResponseWriter, *http.Request) {
			var m map[string]int
			setKey(m)
		}, 500, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			WithPanicRecovery(tc.handler, writeError).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/pods", nil))
			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d", rec.Code, tc.wantCode)
			}
			if tc.wantCode == 200 {
				if rec.Body.String() != tc.wantBody {
					t.Fatalf("body = %q", rec.Body.String())
				}
				return
			}
			st := decodeStatus(t, rec)
			if st.Kind != "Status" || st.Status != metav1.StatusFailure || st.Code != 500 || st.Reason != metav1.StatusReasonInternalError {
				t.Fatalf("status = %+v", st)
			}
			if strings.Contains(st.Message, "boom") || strings.Contains(st.Message, "nil map") {
				t.Fatalf("panic value leaked to the client: %q", st.Message)
			}
		})
	}
	t.Run("ErrAbortHandler re-raised", func(t *testing.T) {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
			}
		}()
		h := WithPanicRecovery(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }), writeError)
		h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/", nil))
		t.Fatal("no panic")
	})
	t.Run("real server keeps connection semantics", func(t *testing.T) {
		srv := httptest.NewServer(WithPanicRecovery(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("x") }), writeError))
		defer srv.Close()
		resp, err := srv.Client().Get(srv.URL + "/api")
		if err != nil {
			t.Fatalf("connection dropped: %v", err)
		}
		resp.Body.Close()
		if resp.StatusCode != 500 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Fatalf("got %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	})
}

func TestAuditID(t *testing.T) {
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	long := strings.Repeat("a", 200)
	tests := []struct {
		name   string
		sent   string
		want   string // "" means a fresh UUID
		bug    string
		nonuid bool
	}{
		{name: "generated", sent: ""},
		{name: "echoed", sent: "my-audit-id", want: "my-audit-id"},
		{name: "uuid echoed", sent: "4a5e1c4a-1111-2222-3333-444455556666", want: "4a5e1c4a-1111-2222-3333-444455556666"},
		// Upstream saves and echoes the client's value as is, no truncation.
		{name: "long echoed", sent: long, want: long},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ctxID string
			h := WithAuditID(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				ctxID = request.AuditIDFrom(r.Context())
			}))
			r := httptest.NewRequest("GET", "/api", nil)
			if tc.sent != "" {
				r.Header.Set(AuditIDHeader, tc.sent)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			got := rec.Header().Get("Audit-ID")
			if got != ctxID {
				t.Fatalf("header %q != context %q", got, ctxID)
			}
			ok := got == tc.want
			if tc.want == "" {
				ok = uuidRE.MatchString(got)
			}
			if !ok {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("Audit-ID = %q, want %q", got, tc.want)
			}
		})
	}
	t.Run("unique per request", func(t *testing.T) {
		h := WithAuditID(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
		seen := map[string]bool{}
		for i := 0; i < 50; i++ {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
			id := rec.Header().Get("Audit-ID")
			if seen[id] {
				t.Fatalf("duplicate audit id %q", id)
			}
			seen[id] = true
		}
	})
}

type fakeAuthn struct {
	u   *request.User
	ok  bool
	err error
}

func (f fakeAuthn) AuthenticateRequest(*http.Request) (*request.User, bool, error) {
	return f.u, f.ok, f.err
}

const unauthorizedBody = `{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}`

func TestAuthentication(t *testing.T) {
	alice := &request.User{Name: "alice", Groups: []string{"system:authenticated"}}
	tests := []struct {
		name      string
		auth      authn.Authenticator
		anonymous bool
		wantCode  int
		wantUser  string
		bearer    bool
	}{
		{"authenticated", fakeAuthn{u: alice, ok: true}, false, 200, "alice", true},
		{"invalid credential", fakeAuthn{err: authn.ErrInvalidCredentials}, true, 401, "", true},
		{"invalid credential no anonymous", fakeAuthn{err: authn.ErrInvalidCredentials}, false, 401, "", true},
		// A bearer token no authenticator recognises is invalid, as with upstream's
		// always-on service-account token authenticator.
		{"unrecognised bearer token", fakeAuthn{}, true, 401, "", true},
		{"no credential anonymous", fakeAuthn{}, true, 200, "system:anonymous", false},
		{"no credential no anonymous", fakeAuthn{}, false, 401, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var user *request.User
			var authz string
			h := WithAuthentication(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				user, _ = request.UserFrom(r.Context())
				authz = r.Header.Get("Authorization")
			}), tc.auth, tc.anonymous, writeError)
			r := httptest.NewRequest("GET", "/api/v1/namespaces/default/pods", nil)
			if tc.bearer {
				r.Header.Set("Authorization", "Bearer xyz")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.wantCode {
				t.Fatalf("code = %d, want %d (%s)", rec.Code, tc.wantCode, rec.Body)
			}
			if tc.wantCode == 401 {
				if got := strings.TrimSpace(rec.Body.String()); got != unauthorizedBody {
					t.Fatalf("body =\n%s\nwant\n%s", got, unauthorizedBody)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Fatalf("Content-Type = %q", ct)
				}
				return
			}
			if user == nil || user.Name != tc.wantUser {
				t.Fatalf("user = %+v, want %q", user, tc.wantUser)
			}
			if tc.wantUser == "system:anonymous" && (len(user.Groups) != 1 || user.Groups[0] != "system:unauthenticated") {
				t.Fatalf("anonymous groups = %v", user.Groups)
			}
			if authz != "" {
				t.Fatalf("Authorization header reached the handler: %q", authz)
			}
		})
	}
}

type fakeAuthz struct {
	d      authz.Decision
	reason string
	err    error
}

func (f fakeAuthz) Authorize(context.Context, authz.Attributes) (authz.Decision, string, error) {
	return f.d, f.reason, f.err
}

func TestForbidden(t *testing.T) {
	bob := &request.User{Name: "bob"}
	tests := []struct {
		name    string
		user    *request.User
		info    *request.Info
		reason  string
		message string
		details *metav1.StatusDetails
		bug     string
	}{
		{name: "namespaced resource", user: bob,
			info:    &request.Info{IsResourceRequest: true, Verb: "get", APIVersion: "v1", Namespace: "ns", Resource: "pods", Name: "p1"},
			message: `pods "p1" is forbidden: User "bob" cannot get resource "pods" in API group "" in the namespace "ns"`,
			details: &metav1.StatusDetails{Name: "p1", Kind: "pods"}},
		{name: "namespaced list no name", user: bob,
			info:    &request.Info{IsResourceRequest: true, Verb: "list", APIGroup: "apps", APIVersion: "v1", Namespace: "ns", Resource: "deployments"},
			message: `deployments.apps is forbidden: User "bob" cannot list resource "deployments" in API group "apps" in the namespace "ns"`,
			details: &metav1.StatusDetails{Group: "apps", Kind: "deployments"}},
		{name: "subresource", user: bob,
			info:    &request.Info{IsResourceRequest: true, Verb: "update", APIGroup: "apps", APIVersion: "v1", Namespace: "ns", Resource: "deployments", Name: "d", Subresource: "scale"},
			message: `deployments.apps "d" is forbidden: User "bob" cannot update resource "deployments/scale" in API group "apps" in the namespace "ns"`,
			details: &metav1.StatusDetails{Name: "d", Group: "apps", Kind: "deployments"}},
		{name: "cluster scoped", user: bob,
			info:    &request.Info{IsResourceRequest: true, Verb: "list", APIVersion: "v1", Resource: "nodes"},
			message: `nodes is forbidden: User "bob" cannot list resource "nodes" in API group "" at the cluster scope`,
			details: &metav1.StatusDetails{Kind: "nodes"}},
		{name: "cluster scoped with reason", user: bob,
			info:    &request.Info{IsResourceRequest: true, Verb: "delete", APIGroup: "rbac.authorization.k8s.io", APIVersion: "v1", Resource: "clusterroles", Name: "admin"},
			reason:  "RBAC: clusterrole.rbac.authorization.k8s.io \"x\" not found",
			message: `clusterroles.rbac.authorization.k8s.io "admin" is forbidden: User "bob" cannot delete resource "clusterroles" in API group "rbac.authorization.k8s.io" at the cluster scope: RBAC: clusterrole.rbac.authorization.k8s.io "x" not found`,
			details: &metav1.StatusDetails{Name: "admin", Group: "rbac.authorization.k8s.io", Kind: "clusterroles"}},
		{name: "non-resource", user: &request.User{Name: "system:anonymous"},
			info:    &request.Info{Verb: "get", Path: "/metrics"},
			message: `forbidden: User "system:anonymous" cannot get path "/metrics"`,
			details: &metav1.StatusDetails{}},
		{name: "non-resource post", user: bob,
			info:    &request.Info{Verb: "post", Path: "/logs/x"},
			message: `forbidden: User "bob" cannot post path "/logs/x"`,
			details: &metav1.StatusDetails{}},
		// Upstream's forbidden writer HTML-escapes & < > in the message.
		{name: "non-resource sanitized", user: bob,
			info:    &request.Info{Verb: "get", Path: "/x<script>&"},
			message: `forbidden: User "bob" cannot get path "/x&lt;script&gt;&amp;"`,
			details: &metav1.StatusDetails{}},
		// Upstream uses "" for a missing user.
		{name: "no user", user: nil,
			info:    &request.Info{Verb: "get", Path: "/metrics"},
			message: `forbidden: User "" cannot get path "/metrics"`,
			details: &metav1.StatusDetails{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var reached bool
			h := WithAuthorization(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { reached = true }),
				fakeAuthz{d: authz.NoOpinion, reason: tc.reason}, writeError)
			r := httptest.NewRequest("GET", "/", nil)
			ctx := request.WithInfo(r.Context(), tc.info)
			if tc.user != nil {
				ctx = request.WithUser(ctx, tc.user)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r.WithContext(ctx))
			if reached || rec.Code != 403 {
				t.Fatalf("reached=%v code=%d", reached, rec.Code)
			}
			st := decodeStatus(t, rec)
			if st.Message != tc.message {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("message =\n%s\nwant\n%s", st.Message, tc.message)
			}
			if st.Reason != metav1.StatusReasonForbidden || st.Code != 403 || st.Status != metav1.StatusFailure {
				t.Fatalf("status = %+v", st)
			}
			if st.Details == nil {
				st.Details = &metav1.StatusDetails{}
			}
			if st.Details.Name != tc.details.Name || st.Details.Group != tc.details.Group || st.Details.Kind != tc.details.Kind {
				t.Fatalf("details = %+v, want %+v", st.Details, tc.details)
			}
		})
	}
}

func TestAuthorizationDecisions(t *testing.T) {
	info := &request.Info{IsResourceRequest: true, Verb: "get", APIVersion: "v1", Namespace: "ns", Resource: "pods", Name: "p"}
	tests := []struct {
		name     string
		a        authz.Authorizer
		wantCode int
		bug      string
		// decision and reason are the audit annotations the request must carry.
		decision, reason string
	}{
		{name: "allow", a: fakeAuthz{d: authz.Allow, reason: "by rule"}, wantCode: 200, decision: "allow", reason: "by rule"},
		{name: "deny", a: fakeAuthz{d: authz.Deny, reason: "no"}, wantCode: 403, decision: "forbid", reason: "no"},
		{name: "no opinion", a: fakeAuthz{d: authz.NoOpinion}, wantCode: 403, decision: "forbid"},
		{name: "error", a: fakeAuthz{err: errors.New("x")}, wantCode: 500, reason: "internal error"},
		// Upstream checks the decision before the error: Allow with an evaluation
		// error (e.g. RBAC partial failure) is allowed.
		{name: "allow with error", a: fakeAuthz{d: authz.Allow, err: errors.New("partial")}, wantCode: 200, decision: "allow"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := WithAuthorization(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), tc.a, writeError)
			r := httptest.NewRequest("GET", "/api/v1/namespaces/ns/pods/p", nil)
			ctx := request.WithAuditAnnotations(request.WithUser(request.WithInfo(r.Context(), info), &request.User{Name: "bob"}))
			r = r.WithContext(ctx)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.wantCode {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("code = %d, want %d", rec.Code, tc.wantCode)
			}
			got := request.AuditAnnotationsFrom(ctx)
			if got[DecisionAnnotation] != tc.decision || got[ReasonAnnotation] != tc.reason {
				t.Errorf("audit annotations = %v, want decision %q reason %q", got, tc.decision, tc.reason)
			}
		})
	}
}

func TestRequestInfoFilter(t *testing.T) {
	tests := []struct {
		name, url, verb, resource string
	}{
		{"resource", "/api/v1/namespaces/ns/pods", "list", "pods"},
		{"non-resource", "/healthz", "get", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *request.Info
			WithRequestInfo(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got, _ = request.InfoFrom(r.Context())
			})).ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", tc.url, nil))
			if got == nil || got.Verb != tc.verb || got.Resource != tc.resource {
				t.Fatalf("info = %+v", got)
			}
		})
	}
}

// TestErrorWriterIsStatus checks that the filters' errors encode as kube-apiserver's.
func TestErrorWriterIsStatus(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"unauthorized", apierrors.NewUnauthorized("Unauthorized"), 401},
		{"internal", apierrors.NewInternalError(errors.New("x")), 500},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			writeError(rec, httptest.NewRequest("GET", "/", nil), tc.err)
			if st := decodeStatus(t, rec); rec.Code != tc.code || int(st.Code) != tc.code {
				t.Fatalf("code %d / %d, want %d", rec.Code, st.Code, tc.code)
			}
		})
	}
}

// setKey writes to m; called with a nil map it panics with a runtime error.
func setKey(m map[string]int) { m["x"] = 1 }
