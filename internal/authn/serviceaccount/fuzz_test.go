package serviceaccount

import (
	"context"
	"strings"
	"testing"
	"time"
)

// FuzzAuthenticateToken feeds arbitrary bearer tokens to the authenticator: it must
// never panic, and must authenticate nothing it did not sign. Every fuzz worker builds
// the same fixture (fixed key and clock), so the claims of the one valid token are the
// same in all of them; its ECDSA signature is not.
func FuzzAuthenticateToken(f *testing.F) {
	fx := newFixture(f)
	fixed := time.Unix(1700000000, 0)
	fx.now, fx.issuer.now, fx.auth.now = fixed, fixedClock(fixed), fixedClock(fixed.Add(time.Minute))
	valid := fx.token(f, nil)
	signedPart := valid[:strings.LastIndex(valid, ".")]
	legacy := fx.issuer.mustIssueLegacy(f)
	for _, s := range []string{
		valid, legacy, "", ".", "..", "a.b.c", `{"x":1}`, valid + ".", strings.Replace(valid, ".", "..", 1),
		b64(`{"alg":"none"}`) + "." + b64(`{"iss":"`+testIssuer+`"}`) + ".",
		b64(`{"alg":"HS256"}`) + "." + b64(`{"iss":"`+testIssuer+`"}`) + "." + b64("sig"),
		b64(`{"alg":"ES256","kid":"`+testECKeyID+`"}`) + "." + b64(`{"iss":"`+testIssuer+`","aud":[1]}`) + ".AAAA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		u, ok, err := fx.auth.AuthenticateToken(context.Background(), token)
		if ok && (err != nil || u == nil) {
			t.Fatalf("ok with err=%v user=%v", err, u)
		}
		if ok && !strings.HasPrefix(token, signedPart+".") {
			t.Fatalf("authenticated a token it did not issue: %q as %+v", token, u)
		}
	})
}

// FuzzParsePublicKeys checks the key-file parser never panics and never returns keys
// with an error.
func FuzzParsePublicKeys(f *testing.F) {
	f.Add([]byte(testECKeyPEM))
	f.Add([]byte("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"))
	f.Add([]byte(""))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := ParsePublicKeys(data)
		if (err == nil) == (len(keys) == 0) {
			t.Fatalf("keys=%d err=%v", len(keys), err)
		}
		if _, err := ParsePrivateKey(data); err == nil && len(keys) == 0 {
			t.Fatal("a private key without its public half")
		}
	})
}
