package serviceaccount

import (
	"crypto"
	"crypto/elliptic"
	"encoding/base64"
	"strings"
	"testing"
	"time"
)

// decodeSegments returns the header and payload JSON of a compact JWS.
func decodeSegments(t testing.TB, token string) (header, payload string) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	h, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		t.Fatal(err)
	}
	p, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	return string(h), string(p)
}

func newTestIssuer(t testing.TB, iss string, key crypto.Signer, now time.Time) *Issuer {
	t.Helper()
	i, err := NewIssuer(iss, key)
	if err != nil {
		t.Fatal(err)
	}
	i.now = fixedClock(now)
	i.newID = func() string { return "11111111-2222-3333-4444-555555555555" }
	return i
}

func TestIssuerAlgorithms(t *testing.T) {
	tests := []struct {
		name    string
		key     crypto.Signer
		alg     string
		wantErr string
	}{
		{name: "RSA signs RS256", key: testRSAKey(t), alg: "RS256"},
		{name: "P-256 signs ES256", key: newECKey(t, elliptic.P256()), alg: "ES256"},
		{name: "P-384 signs ES384", key: newECKey(t, elliptic.P384()), alg: "ES384"},
		{name: "P-521 signs ES512", key: newECKey(t, elliptic.P521()), alg: "ES512"},
		{name: "P-224 is refused", key: newECKey(t, elliptic.P224()), wantErr: "unknown private key curve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, err := NewIssuer("https://issuer", tc.key)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tok, _, err := i.Issue(Token{Namespace: "ns", Name: "sa", UID: "u", Audiences: []string{"a"}, ExpirationSeconds: 600})
			if err != nil {
				t.Fatal(err)
			}
			header, _ := decodeSegments(t, tok)
			want := `{"alg":"` + tc.alg + `","kid":"` + publicKeyOf(t, tc.key).KeyID + `"}`
			if header != want {
				t.Fatalf("header = %s, want %s", header, want)
			}
		})
	}
}

// TestIssuePayload pins the claims byte for byte: upstream writes them with sorted keys
// and "aud" always as a list.
func TestIssuePayload(t *testing.T) {
	key, err := ParsePrivateKey([]byte(testECKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	i := newTestIssuer(t, "https://kubernetes.default.svc.cluster.local", key, now)
	tests := []struct {
		name string
		tok  Token
		want string
	}{
		{
			name: "service account only",
			tok:  Token{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{"api"}, ExpirationSeconds: 3600},
			want: `{"aud":["api"],"exp":1700003600,"iat":1700000000,"iss":"https://kubernetes.default.svc.cluster.local",` +
				`"jti":"11111111-2222-3333-4444-555555555555","kubernetes.io":{"namespace":"ns","serviceaccount":{"name":"sa","uid":"sa-uid"}},` +
				`"nbf":1700000000,"sub":"system:serviceaccount:ns:sa"}`,
		},
		{
			name: "pod with its node, extended",
			tok: Token{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{"a", "b"}, ExpirationSeconds: ExpirationExtensionSeconds,
				WarnAfterSeconds: 3607, Pod: &Ref{Name: "p", UID: "p-uid"}, Node: &Ref{Name: "n", UID: "n-uid"}},
			want: `{"aud":["a","b"],"exp":1731536000,"iat":1700000000,"iss":"https://kubernetes.default.svc.cluster.local",` +
				`"jti":"11111111-2222-3333-4444-555555555555","kubernetes.io":{"namespace":"ns","node":{"name":"n","uid":"n-uid"},` +
				`"pod":{"name":"p","uid":"p-uid"},"serviceaccount":{"name":"sa","uid":"sa-uid"},"warnafter":1700003607},` +
				`"nbf":1700000000,"sub":"system:serviceaccount:ns:sa"}`,
		},
		{
			name: "secret, explicit issue time",
			tok: Token{Namespace: "ns", Name: "sa", UID: "sa-uid", Audiences: []string{"x"}, ExpirationSeconds: 600,
				Secret: &Ref{Name: "s", UID: "s-uid"}, IssuedAt: time.Unix(1600000000, 0)},
			want: `{"aud":["x"],"exp":1600000600,"iat":1600000000,"iss":"https://kubernetes.default.svc.cluster.local",` +
				`"jti":"11111111-2222-3333-4444-555555555555","kubernetes.io":{"namespace":"ns","secret":{"name":"s","uid":"s-uid"},` +
				`"serviceaccount":{"name":"sa","uid":"sa-uid"}},"nbf":1600000000,"sub":"system:serviceaccount:ns:sa"}`,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tok, id, err := i.Issue(tc.tok)
			if err != nil {
				t.Fatal(err)
			}
			if id != "11111111-2222-3333-4444-555555555555" {
				t.Errorf("id = %q", id)
			}
			if _, payload := decodeSegments(t, tok); payload != tc.want {
				t.Fatalf("payload\n got %s\nwant %s", payload, tc.want)
			}
		})
	}
	t.Run("secret and pod together are refused", func(t *testing.T) {
		_, _, err := i.Issue(Token{Namespace: "ns", Name: "sa", Secret: &Ref{Name: "s"}, Pod: &Ref{Name: "p"}})
		if err == nil || !strings.Contains(err.Error(), "only be bound to one object type") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("legacy token", func(t *testing.T) {
		tok, err := i.IssueLegacy("ns", "sa", "sa-uid", "sa-token-abc")
		if err != nil {
			t.Fatal(err)
		}
		want := `{"iss":"kubernetes/serviceaccount","kubernetes.io/serviceaccount/namespace":"ns",` +
			`"kubernetes.io/serviceaccount/secret.name":"sa-token-abc","kubernetes.io/serviceaccount/service-account.name":"sa",` +
			`"kubernetes.io/serviceaccount/service-account.uid":"sa-uid","sub":"system:serviceaccount:ns:sa"}`
		if _, payload := decodeSegments(t, tok); payload != want {
			t.Fatalf("payload\n got %s\nwant %s", payload, want)
		}
	})
}
