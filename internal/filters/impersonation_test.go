package filters

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kapi-dev/kapi/internal/authz"
	"github.com/kapi-dev/kapi/internal/request"
)

// allowImpersonating allows the impersonate verb on the listed resource/name pairs.
type allowImpersonating map[string]bool

func (a allowImpersonating) Authorize(_ context.Context, at authz.Attributes) (authz.Decision, string, error) {
	key := at.Info.Resource + "/" + at.Info.Name
	if at.Info.Subresource != "" {
		key = at.Info.Resource + "/" + at.Info.Subresource + "/" + at.Info.Name
	}
	if at.Info.Verb == "impersonate" && a[key] {
		return authz.Allow, "", nil
	}
	return authz.NoOpinion, "", nil
}

func TestImpersonation(t *testing.T) {
	perms := allowImpersonating{"users/bob": true, "groups/devs": true, "serviceaccounts/builder": true,
		"uids/42": true, "userextras/scopes/view": true}
	var seen *request.User
	var impersonator *request.User
	h := WithImpersonation(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen, _ = request.UserFrom(r.Context())
		impersonator, _ = request.ImpersonatorFrom(r.Context())
		for name := range r.Header {
			if strings.HasPrefix(name, "Impersonate-") {
				t.Errorf("header %s reached the handler", name)
			}
		}
	}), perms, func(w http.ResponseWriter, r *http.Request, err error) {
		st := err.(apierrors.APIStatus).Status()
		w.WriteHeader(int(st.Code))
		_ = json.NewEncoder(w).Encode(st)
	})
	alice := &request.User{Name: "alice", Groups: []string{"system:authenticated"}}
	tests := []struct {
		name       string
		headers    map[string][]string
		wantCode   int
		wantUser   string
		wantGroups []string
		wantUID    string
		wantExtra  map[string][]string
		wantMsg    string
	}{
		{name: "no headers keeps the user", wantCode: 200, wantUser: "alice", wantGroups: []string{"system:authenticated"}},
		{name: "user", headers: map[string][]string{"Impersonate-User": {"bob"}}, wantCode: 200, wantUser: "bob", wantGroups: []string{"system:authenticated"}},
		{name: "user and group", headers: map[string][]string{"Impersonate-User": {"bob"}, "Impersonate-Group": {"devs"}},
			wantCode: 200, wantUser: "bob", wantGroups: []string{"devs", "system:authenticated"}},
		{name: "service account gets its groups", headers: map[string][]string{"Impersonate-User": {"system:serviceaccount:ci:builder"}},
			wantCode: 200, wantUser: "system:serviceaccount:ci:builder", wantGroups: []string{"system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"}},
		{name: "uid and extra", headers: map[string][]string{"Impersonate-User": {"bob"}, "Impersonate-Uid": {"42"}, "Impersonate-Extra-Scopes": {"view"}},
			wantCode: 200, wantUser: "bob", wantGroups: []string{"system:authenticated"}, wantUID: "42", wantExtra: map[string][]string{"scopes": {"view"}}},
		{name: "user not allowed", headers: map[string][]string{"Impersonate-User": {"carol"}}, wantCode: 403,
			wantMsg: `users "carol" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope`},
		{name: "group not allowed", headers: map[string][]string{"Impersonate-User": {"bob"}, "Impersonate-Group": {"system:masters"}}, wantCode: 403,
			wantMsg: `groups "system:masters" is forbidden: User "alice" cannot impersonate resource "groups" in API group "" at the cluster scope`},
		{name: "service account not allowed", headers: map[string][]string{"Impersonate-User": {"system:serviceaccount:ci:deployer"}}, wantCode: 403,
			wantMsg: `serviceaccounts "deployer" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ci"`},
		{name: "group without user", headers: map[string][]string{"Impersonate-Group": {"devs"}}, wantCode: 400,
			wantMsg: "requested [{Group  devs    }] without impersonating a user"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen, impersonator = nil, nil
			r := httptest.NewRequest(http.MethodGet, "/api/v1/pods", nil)
			for k, v := range tc.headers {
				r.Header[k] = v
			}
			r = r.WithContext(request.WithUser(r.Context(), alice))
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tc.wantCode {
				t.Fatalf("code %d, want %d: %s", rec.Code, tc.wantCode, rec.Body)
			}
			if tc.wantMsg != "" && !strings.Contains(rec.Body.String(), jsonString(tc.wantMsg)) {
				t.Errorf("body %s, want message %q", rec.Body, tc.wantMsg)
			}
			if tc.wantCode != 200 {
				return
			}
			if seen.Name != tc.wantUser || !slices.Equal(seen.Groups, tc.wantGroups) || seen.UID != tc.wantUID {
				t.Errorf("user = %+v, want %s %v uid %q", seen, tc.wantUser, tc.wantGroups, tc.wantUID)
			}
			for k, v := range tc.wantExtra {
				if !slices.Equal(seen.Extra[k], v) {
					t.Errorf("extra %s = %v, want %v", k, seen.Extra[k], v)
				}
			}
			if len(tc.headers) > 0 && impersonator != alice {
				t.Errorf("impersonator = %v, want alice", impersonator)
			}
		})
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}

func FuzzImpersonationHeaders(f *testing.F) {
	f.Add("bob", "devs", "Scopes", "view", "42")
	f.Add("system:serviceaccount:ns:sa", "", "%41b", "", "")
	f.Add("", "g", "", "", "")
	f.Fuzz(func(t *testing.T, user, group, extraKey, extraValue, uid string) {
		h := http.Header{}
		if user != "" {
			h.Set("Impersonate-User", user)
		}
		if group != "" {
			h.Add("Impersonate-Group", group)
		}
		if extraKey != "" {
			h["Impersonate-Extra-"+extraKey] = []string{extraValue}
		}
		if uid != "" {
			h.Set("Impersonate-Uid", uid)
		}
		reqs, err := impersonationRequests(h)
		if err == nil && user == "" && len(reqs) > 0 {
			t.Errorf("impersonation without a user accepted: %v", reqs)
		}
	})
}
