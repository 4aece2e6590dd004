package serviceaccount

import (
	"context"
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kapi-dev/kapi/internal/authn"
	"github.com/kapi-dev/kapi/internal/request"
)

const testIssuer = "https://kapi.test"

// fixture is a signing key, an authenticator trusting it and the objects tokens name.
type fixture struct {
	now    time.Time
	key    crypto.Signer
	issuer *Issuer
	auth   *Authenticator
	objs   *objects
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	key, err := ParsePrivateKey([]byte(testECKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Truncate(time.Second)
	f := &fixture{now: now, key: key, issuer: newTestIssuer(t, testIssuer, key, now), objs: newObjects()}
	f.objs.serviceAccounts["ns/sa"] = &corev1.ServiceAccount{ObjectMeta: meta("ns", "sa", "sa-uid")}
	f.objs.pods["ns/p"] = &corev1.Pod{ObjectMeta: meta("ns", "p", "p-uid"), Spec: corev1.PodSpec{ServiceAccountName: "sa", NodeName: "n"}}
	f.objs.nodes["n"] = &corev1.Node{ObjectMeta: meta("", "n", "n-uid")}
	f.objs.secrets["ns/s"] = &corev1.Secret{ObjectMeta: meta("ns", "s", "s-uid")}
	f.auth, err = NewAuthenticator(Config{
		Issuers:      []string{testIssuer, "https://old.kapi.test"},
		Keys:         []PublicKey{publicKeyOf(t, testRSAKey(t)), publicKeyOf(t, key)},
		APIAudiences: []string{"api", "api2"},
		Objects:      f.objs,
		LegacyTokens: f.objs,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.auth.now = fixedClock(now)
	return f
}

// token issues a bound token for ns/sa with the API audience, changed by edit.
func (f *fixture) token(t testing.TB, edit func(*Token)) string {
	t.Helper()
	tok := Token{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{"api"}, ExpirationSeconds: 3600}
	if edit != nil {
		edit(&tok)
	}
	s, _, err := f.issuer.Issue(tok)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// signed signs an arbitrary payload with the fixture's key.
func (f *fixture) signed(t testing.TB, payload any) string {
	t.Helper()
	s, err := f.issuer.sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// saUser is the user of ns/sa with extra.
func saUser(extra map[string][]string) *request.User {
	return &request.User{Name: "system:serviceaccount:ns:sa", UID: "sa-uid",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"}, Extra: extra}
}

const jtiExtra = "JTI=11111111-2222-3333-4444-555555555555"

func TestAuthenticateBoundTokens(t *testing.T) {
	f := newFixture(t)
	other := newECKey(t, elliptic.P256())
	otherIssuer := newTestIssuer(t, testIssuer, other, f.now)
	credID := map[string][]string{authn.CredentialIDKey: {jtiExtra}}
	tests := []struct {
		name  string
		token func(t *testing.T) string
		ctx   func(context.Context) context.Context
		setup func(o *objects)
		want  *request.User
		// noOpinion: not this authenticator's token; errPart: rejected with that error.
		noOpinion bool
		errPart   string
	}{
		{name: "service account token", token: func(t *testing.T) string { return f.token(t, nil) }, want: saUser(credID)},
		{name: "second issuer accepted", token: func(t *testing.T) string {
			return newTestIssuer(t, "https://old.kapi.test", f.key, f.now).mustIssue(t)
		}, want: saUser(credID)},
		{name: "pod-bound with node", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Pod = &Ref{Name: "p", UID: "p-uid"}; tok.Node = &Ref{Name: "n", UID: "n-uid"} })
		}, want: saUser(map[string][]string{authn.CredentialIDKey: {jtiExtra},
			PodNameKey: {"p"}, PodUIDKey: {"p-uid"}, NodeNameKey: {"n"}, NodeUIDKey: {"n-uid"}})},
		{name: "pod-bound token's node need not exist", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Pod = &Ref{Name: "p", UID: "p-uid"}; tok.Node = &Ref{Name: "gone"} })
		}, want: saUser(map[string][]string{authn.CredentialIDKey: {jtiExtra}, PodNameKey: {"p"}, PodUIDKey: {"p-uid"}, NodeNameKey: {"gone"}})},
		{name: "node-bound", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Node = &Ref{Name: "n", UID: "n-uid"} })
		}, want: saUser(map[string][]string{authn.CredentialIDKey: {jtiExtra}, NodeNameKey: {"n"}, NodeUIDKey: {"n-uid"}})},
		{name: "secret-bound", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Secret = &Ref{Name: "s", UID: "s-uid"} })
		}, want: saUser(credID)},
		{name: "audience named by the request", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Audiences = []string{"vault"} })
		}, ctx: func(ctx context.Context) context.Context { return authn.WithAudiences(ctx, []string{"vault"}) }, want: saUser(credID)},
		{name: "second API audience", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Audiences = []string{"x", "api2"} })
		}, want: saUser(credID)},
		{name: "expired within leeway", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.IssuedAt = f.now.Add(-630 * time.Second); tok.ExpirationSeconds = 600 })
		}, want: saUser(credID)},
		{name: "service account deleted within leeway", token: func(t *testing.T) string { return f.token(t, nil) },
			setup: func(o *objects) {
				o.serviceAccounts["ns/sa"].DeletionTimestamp = &metav1.Time{Time: f.now.Add(-30 * time.Second)}
			}, want: saUser(credID)},

		{name: "wrong issuer", token: func(t *testing.T) string {
			return newTestIssuer(t, "https://elsewhere", f.key, f.now).mustIssue(t)
		}, noOpinion: true},
		{name: "not a JWT", token: func(*testing.T) string { return "abcdef" }, noOpinion: true},
		{name: "JWS JSON serialization", token: func(*testing.T) string { return `{"payload":"x"}` }, noOpinion: true},
		{name: "payload is not base64", token: func(*testing.T) string { return "a.!!!.c" }, noOpinion: true},
		{name: "payload is not JSON", token: func(*testing.T) string { return "a." + b64("nope") + ".c" }, noOpinion: true},
		{name: "header is not JSON", token: func(*testing.T) string {
			return b64("nope") + "." + b64(`{"iss":"`+testIssuer+`"}`) + ".c"
		}, noOpinion: true},
		{name: "alg none", token: func(*testing.T) string {
			return b64(`{"alg":"none"}`) + "." + b64(`{"iss":"`+testIssuer+`","sub":"system:serviceaccount:ns:sa"}`) + "."
		}, noOpinion: true},
		{name: "signed by an unknown key", token: func(t *testing.T) string { return otherIssuer.mustIssue(t) },
			errPart: "invalid signature, no keys found"},
		{name: "unknown key without kid", token: func(t *testing.T) string { return signWithoutKeyID(t, other, f) },
			errPart: "crypto"},
		{name: "tampered payload", token: func(t *testing.T) string {
			parts := strings.Split(f.token(t, nil), ".")
			_, payload := decodeSegments(t, f.token(t, nil))
			parts[1] = b64(strings.Replace(payload, `"name":"sa"`, `"name":"admin"`, 1))
			return strings.Join(parts, ".")
		}, errPart: "crypto"},
		{name: "tampered signature", token: func(t *testing.T) string {
			tok := f.token(t, nil)
			return tok[:len(tok)-4] + "AAAA"
		}, errPart: "crypto"},
		{name: "wrong audience", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Audiences = []string{"vault"} })
		}, errPart: `token audiences ["vault"] is invalid for the target audiences ["api" "api2"]`},
		{name: "API token for another requested audience", token: func(t *testing.T) string { return f.token(t, nil) },
			ctx:     func(ctx context.Context) context.Context { return authn.WithAudiences(ctx, []string{"vault"}) },
			errPart: `token audiences ["api"] is invalid for the target audiences ["vault"]`},
		{name: "expired", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.IssuedAt = f.now.Add(-2 * time.Hour); tok.ExpirationSeconds = 3600 })
		}, errPart: "service account token has expired"},
		{name: "not yet valid", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.IssuedAt = f.now.Add(time.Hour) })
		}, errPart: "service account token is not valid yet"},
		{name: "issued in the future", token: func(t *testing.T) string {
			return f.signed(t, map[string]any{"iss": testIssuer, "aud": "api", "iat": f.now.Add(time.Hour).Unix(), "exp": f.now.Add(2 * time.Hour).Unix(),
				"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"}}})
		}, errPart: "service account token is issued in the future"},
		{name: "audience of the wrong type", token: func(t *testing.T) string {
			return f.signed(t, map[string]any{"iss": testIssuer, "aud": 7})
		}, errPart: "Audience"},
		{name: "issuer claim not a string", token: func(t *testing.T) string {
			return f.signed(t, map[string]any{"iss": 7})
		}, noOpinion: true},
		{name: "no kubernetes.io claim", token: func(t *testing.T) string {
			return f.signed(t, map[string]any{"iss": testIssuer, "aud": []string{"api"}, "exp": f.now.Add(time.Hour).Unix()})
		}, errPart: "missing its service account claims"},
		{name: "service account deleted", token: func(t *testing.T) string { return f.token(t, nil) },
			setup: func(o *objects) { delete(o.serviceAccounts, "ns/sa") }, errPart: `serviceaccounts "sa" not found`},
		{name: "service account recreated", token: func(t *testing.T) string { return f.token(t, nil) },
			setup: func(o *objects) {
				o.serviceAccounts["ns/sa"] = &corev1.ServiceAccount{ObjectMeta: meta("ns", "sa", "new-uid")}
			},
			errPart: "service account UID (new-uid) does not match claim (sa-uid)"},
		{name: "service account being deleted", token: func(t *testing.T) string { return f.token(t, nil) },
			setup: func(o *objects) {
				o.serviceAccounts["ns/sa"].DeletionTimestamp = &metav1.Time{Time: f.now.Add(-2 * time.Minute)}
			}, errPart: "service account ns/sa has been deleted"},
		{name: "pod deleted", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Pod = &Ref{Name: "p", UID: "p-uid"} })
		}, setup: func(o *objects) { delete(o.pods, "ns/p") }, errPart: "service account token has been invalidated"},
		{name: "pod recreated", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Pod = &Ref{Name: "p", UID: "p-uid"} })
		}, setup: func(o *objects) { o.pods["ns/p"] = &corev1.Pod{ObjectMeta: meta("ns", "p", "p2")} },
			errPart: "pod UID (p2) does not match service account pod ref claim (p-uid)"},
		{name: "pod long terminating", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Pod = &Ref{Name: "p", UID: "p-uid"} })
		}, setup: func(o *objects) { o.pods["ns/p"].DeletionTimestamp = &metav1.Time{Time: f.now.Add(-time.Hour)} },
			errPart: "service account token has been invalidated"},
		{name: "secret deleted", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Secret = &Ref{Name: "s", UID: "s-uid"} })
		}, setup: func(o *objects) { delete(o.secrets, "ns/s") }, errPart: "service account token has been invalidated"},
		{name: "secret recreated", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Secret = &Ref{Name: "s", UID: "s-uid"} })
		}, setup: func(o *objects) { o.secrets["ns/s"] = &corev1.Secret{ObjectMeta: meta("ns", "s", "s2")} },
			errPart: "secret UID (s2) does not match service account secret ref claim (s-uid)"},
		{name: "node deleted", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Node = &Ref{Name: "n", UID: "n-uid"} })
		}, setup: func(o *objects) { delete(o.nodes, "n") }, errPart: "service account token has been invalidated"},
		{name: "node recreated", token: func(t *testing.T) string {
			return f.token(t, func(tok *Token) { tok.Node = &Ref{Name: "n", UID: "n-uid"} })
		}, setup: func(o *objects) { o.nodes["n"] = &corev1.Node{ObjectMeta: meta("", "n", "n2")} },
			errPart: "node UID (n2) does not match service account node ref claim (n-uid)"},
		{name: "webhook-bound", token: func(t *testing.T) string {
			return f.signed(t, map[string]any{"iss": testIssuer, "aud": []string{"api"}, "exp": f.now.Add(time.Hour).Unix(),
				"kubernetes.io": map[string]any{"namespace": "ns", "serviceaccount": map[string]any{"name": "sa", "uid": "sa-uid"},
					"validatingwebhookconfiguration": map[string]any{"name": "w", "uid": "w"}}})
		}, errPart: "token is webhook bound"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g := newFixture(t)
			*f = *g
			if tc.setup != nil {
				tc.setup(f.objs)
			}
			ctx := context.Background()
			if tc.ctx != nil {
				ctx = tc.ctx(ctx)
			}
			r := httptest.NewRequest("GET", "/", nil).WithContext(ctx)
			r.Header.Set("Authorization", "Bearer "+tc.token(t))
			u, ok, err := f.auth.AuthenticateRequest(r)
			switch {
			case tc.noOpinion:
				if u != nil || ok || err != nil {
					t.Fatalf("got %+v, %v, %v; want no opinion", u, ok, err)
				}
			case tc.errPart != "":
				if ok || u != nil || err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("got %+v, %v, %v; want error containing %q", u, ok, err, tc.errPart)
				}
			default:
				if err != nil || !ok || !reflect.DeepEqual(u, tc.want) {
					t.Fatalf("got %+v, %v, %v; want %+v", u, ok, err, tc.want)
				}
			}
		})
	}
	t.Run("no bearer token", func(t *testing.T) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Authorization", "Basic YTpi")
		if u, ok, err := f.auth.AuthenticateRequest(r); u != nil || ok || err != nil {
			t.Fatalf("got %+v, %v, %v; want no opinion", u, ok, err)
		}
	})
}

func (i *Issuer) mustIssue(t testing.TB) string {
	t.Helper()
	tok, _, err := i.Issue(Token{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{"api"}, ExpirationSeconds: 3600})
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signWithoutKeyID signs a valid-looking token with key but no "kid" header, so that
// every trusted key is tried.
func signWithoutKeyID(t *testing.T, key crypto.Signer, f *fixture) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, payload := decodeSegments(t, f.token(t, nil))
	jws, err := signer.Sign([]byte(payload))
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAuthenticateLegacyTokens(t *testing.T) {
	legacyUser := &request.User{Name: "system:serviceaccount:ns:sa", UID: "sa-uid",
		Groups: []string{"system:serviceaccounts", "system:serviceaccounts:ns"}}
	tests := []struct {
		name      string
		token     func(f *fixture, t *testing.T) string
		setup     func(o *objects, token string)
		want      *request.User
		audiences []string
		errPart   string
		marked    bool
		noLookup  bool // --service-account-lookup=false
	}{
		{name: "valid while the secret holds it", want: legacyUser, marked: true},
		{name: "without lookup: valid after its secret is deleted", noLookup: true, want: legacyUser,
			setup: func(o *objects, _ string) { delete(o.secrets, "ns/sa-token") }},
		{name: "without lookup: valid after its service account is deleted", noLookup: true, want: legacyUser,
			setup: func(o *objects, _ string) { delete(o.serviceAccounts, "ns/sa") }},
		{name: "without lookup: the claims are still checked", noLookup: true, token: func(f *fixture, t *testing.T) string {
			return f.signed(t, legacyPayload{Issuer: LegacyIssuer, Namespace: "ns", SecretName: "sa-token",
				ServiceAccountName: "sa", ServiceAccountUID: "sa-uid", Subject: "system:serviceaccount:ns:admin"})
		}, errPart: "sub claim is invalid"},
		{name: "used today already: not marked again", want: legacyUser,
			setup: func(o *objects, _ string) {
				o.secrets["ns/sa-token"].Labels = map[string]string{LastUsedLabel: time.Now().UTC().Format("2006-01-02")}
			}},
		{name: "secret deleted", setup: func(o *objects, _ string) { delete(o.secrets, "ns/sa-token") }, errPart: "Token has been invalidated"},
		{name: "secret being deleted", setup: func(o *objects, _ string) {
			o.secrets["ns/sa-token"].DeletionTimestamp = &metav1.Time{Time: time.Now()}
		}, errPart: "Token has been invalidated"},
		{name: "secret holds another token", setup: func(o *objects, _ string) {
			o.secrets["ns/sa-token"].Data["token"] = []byte("rotated")
		}, errPart: "Token does not match server's copy"},
		{name: "service account recreated", setup: func(o *objects, _ string) {
			o.serviceAccounts["ns/sa"].UID = "other"
		}, errPart: "ServiceAccount UID (other) does not match claim (sa-uid)"},
		{name: "service account deleted", setup: func(o *objects, _ string) { delete(o.serviceAccounts, "ns/sa") },
			errPart: `serviceaccounts "sa" not found`},
		{name: "marked invalid", setup: func(o *objects, _ string) {
			o.secrets["ns/sa-token"].Labels = map[string]string{InvalidSinceLabel: "2024-01-01"}
		}, errPart: "has been marked invalid", marked: true},
		{name: "subject disagrees with claims", token: func(f *fixture, t *testing.T) string {
			return f.signed(t, legacyPayload{Issuer: LegacyIssuer, Namespace: "ns", SecretName: "sa-token",
				ServiceAccountName: "sa", ServiceAccountUID: "sa-uid", Subject: "system:serviceaccount:ns:admin"})
		}, errPart: "sub claim is invalid"},
		{name: "missing secret claim", token: func(f *fixture, t *testing.T) string {
			return f.signed(t, legacyPayload{Issuer: LegacyIssuer, Namespace: "ns", ServiceAccountName: "sa",
				ServiceAccountUID: "sa-uid", Subject: "system:serviceaccount:ns:sa"})
		}, errPart: "secretName claim is missing"},
		{name: "legacy token for another audience", token: func(f *fixture, t *testing.T) string {
			return f.issuer.mustIssueLegacy(t)
		}, audiences: []string{"vault"}, errPart: `token audiences ["api" "api2"] is invalid for the target audiences ["vault"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			token := f.issuer.mustIssueLegacy(t)
			if tc.token != nil {
				token = tc.token(f, t)
			}
			f.objs.secrets["ns/sa-token"] = &corev1.Secret{ObjectMeta: meta("ns", "sa-token", "st-uid"),
				Data: map[string][]byte{"token": []byte(token)}}
			if tc.setup != nil {
				tc.setup(f.objs, token)
			}
			f.auth.skipLookup = tc.noLookup
			u, ok, err := f.auth.AuthenticateToken(authn.WithAudiences(context.Background(), tc.audiences), token)
			if tc.errPart != "" {
				if ok || err == nil || !strings.Contains(err.Error(), tc.errPart) {
					t.Fatalf("got %+v, %v, %v; want error containing %q", u, ok, err, tc.errPart)
				}
			} else if err != nil || !ok || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("got %+v, %v, %v; want %+v", u, ok, err, tc.want)
			}
			if got := len(f.objs.marked) == 1; got != tc.marked {
				t.Fatalf("marked = %v, want marked %v", f.objs.marked, tc.marked)
			}
		})
	}
}

func (i *Issuer) mustIssueLegacy(t testing.TB) string {
	t.Helper()
	tok, err := i.IssueLegacy("ns", "sa", "sa-uid", "sa-token")
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

func TestNewAuthenticatorNeeds(t *testing.T) {
	key := publicKeyOf(t, newECKey(t, elliptic.P256()))
	tests := []struct {
		name string
		cfg  Config
	}{
		{name: "no keys", cfg: Config{Objects: newObjects()}},
		{name: "no object getter", cfg: Config{Keys: []PublicKey{key}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := NewAuthenticator(tc.cfg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}
