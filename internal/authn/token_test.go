package authn

import (
	"context"
	"errors"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/kapi-dev/kapi/internal/request"
)

// staticToken answers one token and errs on another.
type staticToken struct {
	token string
	user  *request.User
	bad   string
}

func (s staticToken) AuthenticateToken(_ context.Context, token string) (*request.User, bool, error) {
	switch token {
	case s.token:
		return s.user, true, nil
	case s.bad:
		return nil, false, errors.New("bad " + s.bad)
	}
	return nil, false, nil
}

func TestBearerTokens(t *testing.T) {
	alice, bob := &request.User{Name: "alice"}, &request.User{Name: "bob"}
	chain := BearerTokens{staticToken{token: "a", user: alice, bad: "x"}, staticToken{token: "b", user: bob, bad: "y"}, staticToken{token: "x", user: bob}}
	tests := []struct {
		name   string
		header string
		want   *request.User
		ok     bool
		errs   []string
	}{
		{name: "first authenticator", header: "Bearer a", want: alice, ok: true},
		{name: "second authenticator", header: "Bearer b", want: bob, ok: true},
		{name: "error of one, success of a later one", header: "Bearer x", want: bob, ok: true},
		{name: "errors are joined", header: "Bearer y", errs: []string{"bad y"}},
		{name: "unknown token", header: "Bearer z"},
		{name: "no bearer token", header: "Basic YTpi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", tc.header)
			u, ok, err := chain.AuthenticateRequest(r)
			if ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateRequest = %+v,%v,%v; want %+v,%v", u, ok, err, tc.want, tc.ok)
			}
			got := ""
			if err != nil {
				got = err.Error()
			}
			want := ""
			if len(tc.errs) > 0 {
				want = tc.errs[0]
			}
			if got != want {
				t.Fatalf("err = %q, want %q", got, want)
			}
		})
	}
}

func TestAudienceAgnostic(t *testing.T) {
	alice := &request.User{Name: "alice"}
	api := []string{"https://kubernetes.default.svc", "api"}
	tests := []struct {
		name      string
		audiences []string
		ok        bool
	}{
		{name: "no audiences asked", ok: true},
		{name: "an API audience asked", audiences: []string{"other", "api"}, ok: true},
		{name: "only other audiences asked", audiences: []string{"vault"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := WithAudiences(context.Background(), tc.audiences)
			_, ok, err := AudienceAgnostic(api, staticToken{token: "a", user: alice}).AuthenticateToken(ctx, "a")
			if err != nil || ok != tc.ok {
				t.Fatalf("token: ok=%v err=%v, want ok=%v", ok, err, tc.ok)
			}
			r := httptest.NewRequestWithContext(ctx, "GET", "/", nil)
			r.Header.Set("Authorization", "Bearer a")
			_, ok, err = AudienceAgnosticRequest(api, BearerTokens{staticToken{token: "a", user: alice}}).AuthenticateRequest(r)
			if err != nil || ok != tc.ok {
				t.Fatalf("request: ok=%v err=%v, want ok=%v", ok, err, tc.ok)
			}
		})
	}
}

func TestAnonymousPaths(t *testing.T) {
	alice := &request.User{Name: "alice"}
	next := BearerTokens{staticToken{token: "a", user: alice, bad: "x"}}
	tests := []struct {
		name    string
		cfg     AnonymousPaths
		path    string
		header  string
		ok      bool
		wantErr error
	}{
		{name: "credentials win", cfg: AnonymousPaths{}, path: "/api", header: "Bearer a", ok: true},
		{name: "bad credential stays an error", cfg: AnonymousPaths{Enabled: true}, path: "/healthz", header: "Bearer x", wantErr: errors.New("bad x")},
		{name: "disabled: no credentials fail", cfg: AnonymousPaths{}, path: "/healthz", wantErr: ErrAnonymousNotAllowed},
		{name: "enabled everywhere", cfg: AnonymousPaths{Enabled: true}, path: "/api"},
		{name: "enabled on the path", cfg: AnonymousPaths{Enabled: true, Paths: map[string]bool{"/healthz": true}}, path: "/healthz"},
		{name: "other path fails", cfg: AnonymousPaths{Enabled: true, Paths: map[string]bool{"/healthz": true}}, path: "/healthz/etcd", wantErr: ErrAnonymousNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tc.cfg
			cfg.Next = next
			r := httptest.NewRequest("GET", tc.path, nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			_, ok, err := cfg.AuthenticateRequest(r)
			if ok != tc.ok || (err == nil) != (tc.wantErr == nil) || (err != nil && err.Error() != tc.wantErr.Error()) {
				t.Fatalf("AuthenticateRequest = %v,%v; want %v,%v", ok, err, tc.ok, tc.wantErr)
			}
		})
	}
}
