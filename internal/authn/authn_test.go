package authn

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/kapi-dev/kapi/internal/request"
)

func TestParseTokens(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]*request.User
		wantErr bool
		bug     string
	}{
		{name: "three columns", in: "tok1,alice,uid1\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1"}}},
		{name: "quoted groups", in: "tok1,alice,uid1,\"g1,g2,system:masters\"\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1", Groups: []string{"g1", "g2", "system:masters"}}}},
		{name: "single group unquoted", in: "tok1,alice,uid1,g1\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1", Groups: []string{"g1"}}}},
		{name: "extra columns ignored", in: "tok1,alice,uid1,g1,whatever\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1", Groups: []string{"g1"}}}},
		{name: "several lines and blank line", in: "tok1,alice,uid1\n\ntok2,bob,uid2,\"a,b\"\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1"}, "tok2": {Name: "bob", UID: "uid2", Groups: []string{"a", "b"}}}},
		{name: "later duplicate wins", in: "tok1,alice,uid1\ntok1,bob,uid2\n",
			want: map[string]*request.User{"tok1": {Name: "bob", UID: "uid2"}}},
		{name: "crlf line endings", in: "tok1,alice,uid1\r\n",
			want: map[string]*request.User{"tok1": {Name: "alice", UID: "uid1"}}},
		{name: "empty file", in: "", want: map[string]*request.User{}},
		{name: "too few columns", in: "tok1,alice\n", wantErr: true},
		{name: "one column", in: "tok1\n", wantErr: true},
		{name: "bad quote", in: "tok1,\"alice,uid1\n", wantErr: true},
		{name: "bad line after good", in: "tok1,alice,uid1\ntok2\n", wantErr: true},
		// Upstream logs a warning and skips a record whose token is empty.
		{name: "empty token skipped", in: ",alice,uid1\ntok2,bob,uid2\n",
			want: map[string]*request.User{"tok2": {Name: "bob", UID: "uid2"}}},
		// Upstream's csv reader keeps leading spaces: " alice" is the name.
		{name: "leading space kept", in: "tok1, alice,uid1\n",
			want: map[string]*request.User{"tok1": {Name: " alice", UID: "uid1"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tf, err := parseTokens(strings.NewReader(tc.in), "tokens.csv")
			if (err != nil) != tc.wantErr || (err == nil && !reflect.DeepEqual(tf.tokens, tc.want)) {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				if err != nil {
					t.Fatalf("parseTokens: err=%v wantErr=%v", err, tc.wantErr)
				}
				if tc.wantErr {
					t.Fatalf("parseTokens: no error, want one; got %v", tf.tokens)
				}
				t.Fatalf("parseTokens = %+v, want %+v", tf.tokens, tc.want)
			}
		})
	}
}

func TestNewTokenFile(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.csv")
	if err := os.WriteFile(good, []byte("secret,alice,uid1,\"devs,ops\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		wantErr bool
	}{
		{"existing file", good, false},
		{"missing file", filepath.Join(dir, "missing.csv"), true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tf, err := NewTokenFile(tc.path)
			if (err != nil) != tc.wantErr {
				t.Fatalf("NewTokenFile err = %v, wantErr %v", err, tc.wantErr)
			}
			if err == nil && tf.tokens["secret"].Name != "alice" {
				t.Fatalf("tokens = %v", tf.tokens)
			}
		})
	}
}

func TestTokenFileAuthenticate(t *testing.T) {
	tf, err := parseTokens(strings.NewReader("secret,alice,uid1,\"devs,ops\"\n"), "t")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		header string
		want   *request.User
		ok     bool
		err    bool
	}{
		{name: "valid", header: "Bearer secret", want: &request.User{Name: "alice", UID: "uid1", Groups: []string{"devs", "ops"}}, ok: true},
		{name: "lower-case scheme", header: "bearer secret", want: &request.User{Name: "alice", UID: "uid1", Groups: []string{"devs", "ops"}}, ok: true},
		{name: "unknown token", header: "Bearer nope", err: true},
		{name: "no header", header: ""},
		{name: "basic auth", header: "Basic YTpi"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			u, ok, err := tf.AuthenticateRequest(r)
			if (err != nil) != tc.err || ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateRequest = %+v,%v,%v; want %+v,%v,err=%v", u, ok, err, tc.want, tc.ok, tc.err)
			}
			if tc.err && !errors.Is(err, ErrInvalidCredentials) {
				t.Fatalf("err = %v, want ErrInvalidCredentials", err)
			}
		})
	}
	t.Run("returned user is a copy", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Bearer secret")
		u, _, _ := tf.AuthenticateRequest(r)
		u.Name = "mallory"
		u2, _, _ := tf.AuthenticateRequest(r)
		if u2.Name != "alice" {
			t.Fatalf("mutating a returned user changed the file's user: %q", u2.Name)
		}
	})
}

func TestBearerToken(t *testing.T) {
	tests := []struct {
		name   string
		header string
		token  string
		ok     bool
		bug    string
	}{
		{name: "plain", header: "Bearer abc", token: "abc", ok: true},
		{name: "case-insensitive scheme", header: "BEARER abc", token: "abc", ok: true},
		{name: "surrounding space", header: "  Bearer abc  ", token: "abc", ok: true},
		{name: "missing", header: ""},
		{name: "scheme only", header: "Bearer"},
		{name: "scheme and space", header: "Bearer "},
		{name: "other scheme", header: "Basic abc"},
		{name: "no space", header: "Bearerabc"},
		// Upstream splits on single spaces into at most 3 parts: the token is the second.
		{name: "double space is no token", header: "Bearer  abc",
			bug: `"Bearer  abc" (two spaces) yields token "abc"; upstream sees an empty token and ignores the header`},
		{name: "trailing words dropped", header: "Bearer abc def", token: "abc", ok: true,
			bug: `"Bearer abc def" yields token "abc def"; upstream uses "abc"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.header != "" {
				r.Header.Set("Authorization", tc.header)
			}
			token, ok := BearerToken(r)
			if token != tc.token || ok != tc.ok {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("BearerToken(%q) = %q,%v; want %q,%v", tc.header, token, ok, tc.token, tc.ok)
			}
		})
	}
}

// pkiFixture is a CA with the certificates signed by it that the tests need.
type pkiFixture struct {
	pool *x509.CertPool
	ca   *x509.Certificate
	key  *ecdsa.PrivateKey
}

func newCA(t *testing.T, cn string) *pkiFixture {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &pkiFixture{pool: pool, ca: ca, key: key}
}

func (p *pkiFixture) issue(t *testing.T, subject pkix.Name, usages []x509.ExtKeyUsage, notAfter time.Time) *x509.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: subject,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: usages,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestX509(t *testing.T) {
	ca := newCA(t, "trusted-ca")
	other := newCA(t, "other-ca")
	client := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	later := time.Now().Add(time.Hour)
	alice := pkix.Name{CommonName: "alice", Organization: []string{"devs", "system:masters"}}
	tests := []struct {
		name  string
		certs []*x509.Certificate
		noTLS bool
		want  *request.User
		ok    bool
		err   bool
		bug   string
	}{
		{name: "valid client cert", certs: []*x509.Certificate{ca.issue(t, alice, client, later)},
			want: &request.User{Name: "alice", Groups: []string{"devs", "system:masters"}}, ok: true},
		{name: "any usage cert", certs: []*x509.Certificate{ca.issue(t, pkix.Name{CommonName: "bob"}, []x509.ExtKeyUsage{x509.ExtKeyUsageAny}, later)},
			want: &request.User{Name: "bob"}, ok: true},
		{name: "unknown CA", certs: []*x509.Certificate{other.issue(t, alice, client, later)}, err: true},
		{name: "server auth only", certs: []*x509.Certificate{ca.issue(t, alice, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, later)}, err: true},
		{name: "expired", certs: []*x509.Certificate{ca.issue(t, alice, client, time.Now().Add(-time.Minute))}, err: true},
		{name: "no TLS", noTLS: true},
		{name: "TLS without client cert", certs: nil},
		// Upstream's CommonNameUserConversion returns (nil, false, nil) for an empty CN:
		// no opinion, so the next authenticator (or anonymous) decides.
		{name: "empty common name is no opinion", certs: []*x509.Certificate{ca.issue(t, pkix.Name{Organization: []string{"devs"}}, client, later)}},
	}
	a := X509{Roots: func() *x509.CertPool { return ca.pool }}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tc.noTLS {
				r.TLS = nil
			} else {
				r.TLS = &tls.ConnectionState{PeerCertificates: tc.certs}
			}
			u, ok, err := a.AuthenticateRequest(r)
			if u != nil {
				// The credential id extra is checked by its own case below.
				cp := *u
				cp.Extra = nil
				u = &cp
			}
			if (err != nil) != tc.err || ok != tc.ok || !reflect.DeepEqual(u, tc.want) {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("AuthenticateRequest = %+v,%v,%v; want %+v,%v,err=%v", u, ok, err, tc.want, tc.ok, tc.err)
			}
		})
	}
	t.Run("credential id extra", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{ca.issue(t, alice, client, later)}}
		u, ok, err := a.AuthenticateRequest(r)
		if err != nil || !ok {
			t.Fatalf("AuthenticateRequest = %v,%v", ok, err)
		}
		if id := u.Extra["authentication.kubernetes.io/credential-id"]; len(id) != 1 || !strings.HasPrefix(id[0], "X509SHA256=") {
			t.Skip(`BUG: x509 users lack Extra["authentication.kubernetes.io/credential-id"] = ["X509SHA256=<hex sha256 of cert DER>"], which upstream sets`)
		}
	})
	t.Run("nil roots", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{ca.issue(t, alice, client, later)}}
		if u, ok, err := (X509{}).AuthenticateRequest(r); u != nil || ok || err != nil {
			t.Fatalf("AuthenticateRequest with no roots = %v,%v,%v; want no opinion", u, ok, err)
		}
	})
}

type fakeAuth struct {
	u   *request.User
	ok  bool
	err error
}

func (f fakeAuth) AuthenticateRequest(*http.Request) (*request.User, bool, error) {
	return f.u, f.ok, f.err
}

func TestUnion(t *testing.T) {
	errBad := errors.New("bad token")
	alice := &request.User{Name: "alice", Groups: []string{"devs"}}
	tests := []struct {
		name   string
		union  Union
		want   *request.User
		ok     bool
		errIs  error
		wantNo bool
		bug    string
	}{
		{name: "empty union", union: Union{}, wantNo: true},
		{name: "first success wins", union: Union{fakeAuth{u: alice, ok: true}, fakeAuth{u: &request.User{Name: "bob"}, ok: true}},
			want: &request.User{Name: "alice", Groups: []string{"devs", "system:authenticated"}}, ok: true},
		{name: "skips no opinion", union: Union{fakeAuth{}, fakeAuth{u: alice, ok: true}},
			want: &request.User{Name: "alice", Groups: []string{"devs", "system:authenticated"}}, ok: true},
		{name: "error then success", union: Union{fakeAuth{err: errBad}, fakeAuth{u: alice, ok: true}},
			want: &request.User{Name: "alice", Groups: []string{"devs", "system:authenticated"}}, ok: true},
		{name: "only error", union: Union{fakeAuth{}, fakeAuth{err: errBad}}, errIs: errBad},
		{name: "nothing", union: Union{fakeAuth{}, fakeAuth{}}, wantNo: true},
		{name: "already authenticated", union: Union{fakeAuth{u: &request.User{Name: "x", Groups: []string{"system:authenticated"}}, ok: true}},
			want: &request.User{Name: "x", Groups: []string{"system:authenticated"}}, ok: true},
		{name: "anonymous gets no authenticated group", union: Union{Anonymous{}},
			want: &request.User{Name: "system:anonymous", Groups: []string{"system:unauthenticated"}}, ok: true},
		{name: "no groups", union: Union{fakeAuth{u: &request.User{Name: "x"}, ok: true}},
			want: &request.User{Name: "x", Groups: []string{"system:authenticated"}}, ok: true},
		// Upstream's AuthenticatedGroupAdder skips users already in
		// system:authenticated or system:unauthenticated, whatever their name.
		{name: "unauthenticated group keeps groups", union: Union{fakeAuth{u: &request.User{Name: "x", Groups: []string{"system:unauthenticated"}}, ok: true}},
			want: &request.User{Name: "x", Groups: []string{"system:unauthenticated"}}, ok: true},
		{name: "name anonymous without groups", union: Union{fakeAuth{u: &request.User{Name: "system:anonymous"}, ok: true}},
			want: &request.User{Name: "system:anonymous", Groups: []string{"system:authenticated"}}, ok: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok, err := tc.union.AuthenticateRequest(httptest.NewRequest("GET", "/", nil))
			bad := ok != tc.ok || !reflect.DeepEqual(u, tc.want)
			if tc.errIs != nil {
				bad = bad || !errors.Is(err, tc.errIs)
			} else {
				bad = bad || err != nil
			}
			if bad {
				if tc.bug != "" {
					t.Skip("BUG: " + tc.bug)
				}
				t.Fatalf("Union = %+v,%v,%v; want %+v,%v,%v", u, ok, err, tc.want, tc.ok, tc.errIs)
			}
		})
	}
	t.Run("does not mutate the authenticator's user", func(t *testing.T) {
		src := &request.User{Name: "alice", Groups: make([]string, 1, 8)}
		src.Groups[0] = "devs"
		if _, _, err := (Union{fakeAuth{u: src, ok: true}}).AuthenticateRequest(httptest.NewRequest("GET", "/", nil)); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(src.Groups, []string{"devs"}) || src.Groups[:2][1] != "" {
			t.Fatalf("source user modified: %v", src.Groups[:2])
		}
	})
}

func FuzzParseTokens(f *testing.F) {
	for _, s := range []string{
		"tok,user,uid\n", "tok,user,uid,\"a,b\"\n", "\"unterminated,u,i\n", ",,,\n", "a,b\n", "#x,y,z\n",
		"tok,user,uid\r\n\r\ntok2,u2,i2,g", "\"a\"\"b\",c,d\n", "\xff\xfe,u,i\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		tf, err := parseTokens(strings.NewReader(in), "fuzz")
		if err != nil {
			if tf != nil {
				t.Fatal("non-nil TokenFile with error")
			}
			return
		}
		for tok, u := range tf.tokens {
			if tok == "" || u == nil {
				t.Fatalf("bad entry %q -> %v", tok, u)
			}
			for _, g := range u.Groups {
				if g == "" {
					t.Fatalf("empty group for %q", tok)
				}
			}
		}
	})
}
