package authn

import (
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestRequestHeader(t *testing.T) {
	proxyCA := newCA(t, "front-proxy-ca")
	clientCA := newCA(t, "client-ca")
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	later := time.Now().Add(time.Hour)
	proxy := proxyCA.issue(t, pkix.Name{CommonName: "front-proxy-client"}, client, later)
	otherProxy := proxyCA.issue(t, pkix.Name{CommonName: "someone-else"}, client, later)
	clientCert := clientCA.issue(t, pkix.Name{CommonName: "front-proxy-client"}, client, later)
	serverOnly := proxyCA.issue(t, pkix.Name{CommonName: "front-proxy-client"}, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, later)
	expired := proxyCA.issue(t, pkix.Name{CommonName: "front-proxy-client"}, client, time.Now().Add(-time.Minute))

	base := RequestHeader{
		Roots:               func() *x509.CertPool { return proxyCA.pool },
		UsernameHeaders:     []string{"X-Remote-User", "X-Other-User"},
		UIDHeaders:          []string{"X-Remote-Uid"},
		GroupHeaders:        []string{"X-Remote-Group", "X-Other-Group"},
		ExtraHeaderPrefixes: []string{"X-Remote-Extra-", "X-Other-Extra-"},
	}
	tests := []struct {
		name         string
		allowed      []string
		certs        []*x509.Certificate
		noTLS        bool
		headers      http.Header
		want         *request.User
		ok, err      bool
		headersAfter http.Header
	}{
		{name: "user, uid, groups and extras", certs: []*x509.Certificate{proxy},
			headers: http.Header{"X-Remote-User": {"alice"}, "X-Remote-Uid": {"u-1"}, "X-Remote-Group": {"devs", "ops"}, "X-Other-Group": {"more"},
				"X-Remote-Extra-Scopes": {"read", "write"}, "X-Other-Extra-Scopes": {"admin"}, "X-Remote-Extra-Acme.com%2fproject": {"p1"}, "Accept": {"*/*"}},
			want: &request.User{Name: "alice", UID: "u-1", Groups: []string{"devs", "ops", "more"},
				Extra: map[string][]string{"scopes": {"read", "write", "admin"}, "acme.com/project": {"p1"}}}, ok: true,
			headersAfter: http.Header{"Accept": {"*/*"}}},
		{name: "second username header used when first is empty", certs: []*x509.Certificate{proxy},
			headers: http.Header{"X-Remote-User": {""}, "X-Other-User": {"bob"}},
			want:    &request.User{Name: "bob", Groups: []string{}, Extra: map[string][]string{}}, ok: true, headersAfter: http.Header{}},
		{name: "allowed name", allowed: []string{"front-proxy-client"}, certs: []*x509.Certificate{proxy},
			headers: http.Header{"X-Remote-User": {"alice"}},
			want:    &request.User{Name: "alice", Groups: []string{}, Extra: map[string][]string{}}, ok: true, headersAfter: http.Header{}},
		{name: "common name not allowed", allowed: []string{"front-proxy-client"}, certs: []*x509.Certificate{otherProxy},
			headers: http.Header{"X-Remote-User": {"alice"}}, err: true, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "certificate of the client CA is not a proxy", certs: []*x509.Certificate{clientCert},
			headers: http.Header{"X-Remote-User": {"alice"}}, err: true, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "server-auth certificate", certs: []*x509.Certificate{serverOnly},
			headers: http.Header{"X-Remote-User": {"alice"}}, err: true, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "expired proxy certificate", certs: []*x509.Certificate{expired},
			headers: http.Header{"X-Remote-User": {"alice"}}, err: true, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "no client certificate", headers: http.Header{"X-Remote-User": {"alice"}}, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "no TLS", noTLS: true, headers: http.Header{"X-Remote-User": {"alice"}}, headersAfter: http.Header{"X-Remote-User": {"alice"}}},
		{name: "proxy without user header is no opinion", certs: []*x509.Certificate{proxy},
			headers: http.Header{"X-Remote-Group": {"devs"}}, headersAfter: http.Header{"X-Remote-Group": {"devs"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base
			cfg.AllowedNames = tc.allowed
			a, err := NewRequestHeader(cfg)
			if err != nil {
				t.Fatal(err)
			}
			r := httptest.NewRequest("GET", "/api", nil)
			r.Header = tc.headers.Clone()
			if tc.noTLS {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{PeerCertificates: tc.certs}
			}
			u, ok, err := a.AuthenticateRequest(r)
			if (err != nil) != tc.err || ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateRequest = %+v,%v,%v; want %+v,%v,err=%v", u, ok, err, tc.want, tc.ok, tc.err)
			}
			if !reflect.DeepEqual(r.Header, tc.headersAfter) {
				t.Errorf("headers after = %v, want %v", r.Header, tc.headersAfter)
			}
		})
	}
}

func TestNewRequestHeaderRejectsEmptyNames(t *testing.T) {
	tests := []struct {
		name string
		rh   RequestHeader
		want string
	}{
		{"empty username header", RequestHeader{UsernameHeaders: []string{"X-Remote-User", " "}}, `empty value in "requestheader-username-headers"`},
		{"empty group header", RequestHeader{GroupHeaders: []string{""}}, `empty value in "requestheader-group-headers"`},
		{"empty extra prefix", RequestHeader{ExtraHeaderPrefixes: []string{"\t"}}, `empty value in "requestheader-extra-headers-prefix"`},
		{"empty allowed name", RequestHeader{AllowedNames: []string{""}}, `empty value in "requestheader-allowed-names"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewRequestHeader(tc.rh)
			if err == nil || err.Error() != tc.want {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("names are trimmed", func(t *testing.T) {
		rh, err := NewRequestHeader(RequestHeader{UsernameHeaders: []string{" X-Remote-User "}})
		if err != nil || rh.UsernameHeaders[0] != "X-Remote-User" {
			t.Fatalf("NewRequestHeader = %v, %v", rh, err)
		}
	})
}

func TestRequestHeaderConfigMapData(t *testing.T) {
	tests := []struct {
		name string
		rh   *RequestHeader
		ca   []byte
		want map[string]string
	}{
		{name: "no front proxy", rh: nil, ca: []byte("pem")},
		{name: "all keys", ca: []byte("pem"), rh: &RequestHeader{UsernameHeaders: []string{"X-Remote-User"}, UIDHeaders: []string{"X-Remote-Uid"},
			GroupHeaders: []string{"X-Remote-Group"}, ExtraHeaderPrefixes: []string{"X-Remote-Extra-"}, AllowedNames: []string{"front-proxy-client"}},
			want: map[string]string{
				"requestheader-client-ca-file": "pem", "requestheader-username-headers": `["X-Remote-User"]`, "requestheader-uid-headers": `["X-Remote-Uid"]`,
				"requestheader-group-headers": `["X-Remote-Group"]`, "requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
				"requestheader-allowed-names": `["front-proxy-client"]`}},
		{name: "empty lists are [] and no uid key", ca: []byte("pem"), rh: &RequestHeader{},
			want: map[string]string{"requestheader-client-ca-file": "pem", "requestheader-username-headers": "[]",
				"requestheader-group-headers": "[]", "requestheader-extra-headers-prefix": "[]", "requestheader-allowed-names": "[]"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := RequestHeaderConfigMapData(tc.ca, tc.rh); !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("RequestHeaderConfigMapData = %v, want %v", got, tc.want)
			}
		})
	}
}

// FuzzRequestHeaderHeaders feeds arbitrary header names and values to a verified
// proxy request: it never panics and never lets a header of the configured names or
// prefixes through.
func FuzzRequestHeaderHeaders(f *testing.F) {
	// The CA helpers take a *testing.T: the material is made on the first input.
	var (
		once    sync.Once
		proxyCA *pkiFixture
		proxy   *x509.Certificate
	)
	a, err := NewRequestHeader(RequestHeader{Roots: func() *x509.CertPool { return proxyCA.pool },
		UsernameHeaders: []string{"X-Remote-User"}, UIDHeaders: []string{"X-Remote-Uid"}, GroupHeaders: []string{"X-Remote-Group"},
		ExtraHeaderPrefixes: []string{"X-Remote-Extra-"}})
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range [][2]string{{"X-Remote-Extra-%zz", "v"}, {"x-remote-extra-A%2Fb", "v"}, {"X-Remote-Extra-", ""}, {"X-Remote-Group", "\x00"}} {
		f.Add("alice", s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, user, name, value string) {
		once.Do(func() {
			proxyCA = newCA(t, "front-proxy-ca")
			proxy = proxyCA.issue(t, pkix.Name{CommonName: "p"}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, time.Now().Add(time.Hour))
		})
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{proxy}}
		r.Header = http.Header{"X-Remote-User": {user}}
		r.Header[name] = append(r.Header[name], value)
		u, ok, err := a.AuthenticateRequest(r)
		if err != nil {
			t.Fatalf("verified proxy failed: %v", err)
		}
		if ok != (user != "") || (ok && u.Name != user) {
			t.Fatalf("user = %+v, ok = %v for %q", u, ok, user)
		}
		if !ok {
			return
		}
		for k := range r.Header {
			if hasPrefixFold(k, "X-Remote-Extra-") || strings.EqualFold(k, "X-Remote-User") || strings.EqualFold(k, "X-Remote-Group") || strings.EqualFold(k, "X-Remote-Uid") {
				t.Fatalf("header %q survived", k)
			}
		}
	})
}
