package serviceaccount

import (
	"crypto/elliptic"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

func TestNewOpenIDMetadataErrors(t *testing.T) {
	keys := []PublicKey{publicKeyOf(t, newECKey(t, elliptic.P256()))}
	tests := []struct {
		name, issuer, jwks, external string
		keys                         []PublicKey
		wantErr                      string
	}{
		{name: "empty issuer", jwks: "https://x/jwks", keys: keys, wantErr: "empty issuer URL"},
		{name: "nowhere to serve keys", issuer: "https://kapi", keys: keys, wantErr: "either the JWKS URI or the default external address"},
		{name: "issuer not https", issuer: "kubernetes/serviceaccount", external: "1.2.3.4:6443", keys: keys, wantErr: "issuer URL must use https scheme"},
		{name: "issuer with query", issuer: "https://kapi?a=b", external: "1.2.3.4:6443", keys: keys, wantErr: "may not include a query"},
		{name: "issuer with fragment", issuer: "https://kapi#x", external: "1.2.3.4:6443", keys: keys, wantErr: "may not include a fragment"},
		{name: "jwks uri not https", issuer: "https://kapi", jwks: "http://kapi/keys", keys: keys, wantErr: "jwksURI requires https scheme"},
		{name: "bad external address", issuer: "https://kapi", external: "a/b", keys: keys, wantErr: "could not construct a valid URL"},
		{name: "no keys", issuer: "https://kapi", external: "1.2.3.4:6443", wantErr: "no keys provided"},
		{name: "P-224 key", issuer: "https://kapi", external: "1.2.3.4:6443",
			keys: []PublicKey{publicKeyOf(t, newECKey(t, elliptic.P224()))}, wantErr: "unknown private key curve"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := NewOpenIDMetadata(tc.issuer, tc.jwks, tc.external, tc.keys)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want %q", err, tc.wantErr)
			}
		})
	}
}

func serve(t *testing.T, h http.Handler, method, accept string) (*http.Response, string) {
	t.Helper()
	r := httptest.NewRequest(method, "/", nil)
	if accept != "" {
		r.Header.Set("Accept", accept)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body, _ := io.ReadAll(w.Result().Body)
	return w.Result(), string(body)
}

func TestOpenIDMetadataDocuments(t *testing.T) {
	ec, err := ParsePrivateKey([]byte(testECKeyPEM))
	if err != nil {
		t.Fatal(err)
	}
	keys := []PublicKey{publicKeyOf(t, ec), publicKeyOf(t, testRSAKey(t)), publicKeyOf(t, newECKey(t, elliptic.P384()))}
	md, err := NewOpenIDMetadata("https://kubernetes.default.svc.cluster.local", "", "10.0.0.1:6443", keys)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("configuration", func(t *testing.T) {
		resp, body := serve(t, md.ConfigurationHandler(), http.MethodGet, "")
		want := `{"issuer":"https://kubernetes.default.svc.cluster.local","jwks_uri":"https://10.0.0.1:6443/openid/v1/jwks",` +
			`"response_types_supported":["id_token"],"subject_types_supported":["public"],` +
			`"id_token_signing_alg_values_supported":["ES256","ES384","RS256"]}`
		if resp.StatusCode != 200 || body != want {
			t.Fatalf("%d %s\nwant %s", resp.StatusCode, body, want)
		}
		if ct, cc := resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"); ct != "application/json" || cc != "public, max-age=3600" {
			t.Fatalf("Content-Type %q, Cache-Control %q", ct, cc)
		}
	})
	t.Run("key set", func(t *testing.T) {
		resp, body := serve(t, md.KeySetHandler(), http.MethodGet, "application/jwk-set+json")
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/jwk-set+json" {
			t.Fatalf("%d %v", resp.StatusCode, resp.Header)
		}
		var set jose.JSONWebKeySet
		if err := json.Unmarshal([]byte(body), &set); err != nil {
			t.Fatal(err)
		}
		if len(set.Keys) != 3 {
			t.Fatalf("%d keys, want 3", len(set.Keys))
		}
		for i, k := range set.Keys {
			if !k.IsPublic() || k.KeyID != keys[i].KeyID || k.Use != "sig" {
				t.Errorf("key %d: public=%v kid=%q use=%q", i, k.IsPublic(), k.KeyID, k.Use)
			}
		}
		if !strings.HasPrefix(body, `{"keys":[{"use":"sig","kty":"EC","kid":"`+testECKeyID+`","crv":"P-256","alg":"ES256","x":"`) {
			t.Errorf("key set starts %.120s", body)
		}
	})
	t.Run("explicit jwks uri", func(t *testing.T) {
		md, err := NewOpenIDMetadata("https://issuer", "https://cdn.example/keys", "", keys[:1])
		if err != nil {
			t.Fatal(err)
		}
		if _, body := serve(t, md.ConfigurationHandler(), http.MethodGet, ""); !strings.Contains(body, `"jwks_uri":"https://cdn.example/keys"`) {
			t.Fatal(body)
		}
	})
	tests := []struct {
		name, method, accept string
		h                    http.Handler
		code                 int
		body                 string
	}{
		{name: "POST is not routed", method: http.MethodPost, h: md.ConfigurationHandler(), code: 405, body: "405: Method Not Allowed"},
		{name: "HEAD is not routed", method: http.MethodHead, h: md.KeySetHandler(), code: 405, body: "405: Method Not Allowed"},
		{name: "accept anything", method: http.MethodGet, accept: "text/html, */*;q=0.1", h: md.ConfigurationHandler(), code: 200},
		{name: "json only for the key set", method: http.MethodGet, accept: "application/json", h: md.KeySetHandler(), code: 406,
			body: "406: Not Acceptable\n\nAvailable representations: application/jwk-set+json"},
		{name: "wildcard subtype is not enough", method: http.MethodGet, accept: "application/*", h: md.ConfigurationHandler(), code: 406},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := serve(t, tc.h, tc.method, tc.accept)
			if resp.StatusCode != tc.code || (tc.body != "" && body != tc.body) {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, body, tc.code, tc.body)
			}
			if tc.code == 405 && resp.Header.Get("Allow") != "GET" {
				t.Fatalf("Allow = %q", resp.Header.Get("Allow"))
			}
		})
	}
}
