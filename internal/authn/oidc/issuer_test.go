package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// testIssuer is an OpenID provider on loopback TLS: it serves discovery and a key
// set at each issuer path it hosts and signs tokens with its keys. Keys are
// published explicitly, so that a test can sign with a key the set lacks yet.
type testIssuer struct {
	srv   *httptest.Server
	caPEM string

	mu        sync.Mutex
	keys      map[string]signingKey // by kid
	published []string
	// discoveryIssuer, when set, is the issuer the discovery document claims.
	discoveryIssuer string

	discoveryHits atomic.Int32
	keySetHits    atomic.Int32
}

type signingKey struct {
	alg jose.SignatureAlgorithm
	key crypto.Signer
}

func newTestIssuer(t testing.TB) *testIssuer {
	t.Helper()
	ti := &testIssuer{keys: map[string]signingKey{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		base := ti.srv.URL
		switch {
		case strings.HasSuffix(r.URL.Path, wellKnownPath):
			ti.discoveryHits.Add(1)
			issuer := base + strings.TrimSuffix(r.URL.Path, wellKnownPath)
			ti.mu.Lock()
			if ti.discoveryIssuer != "" {
				issuer = ti.discoveryIssuer
			}
			ti.mu.Unlock()
			writeJSON(w, map[string]any{"issuer": issuer, "jwks_uri": base + "/keys", "id_token_signing_alg_values_supported": AllSigningAlgorithms})
		case r.URL.Path == "/keys":
			ti.keySetHits.Add(1)
			writeJSON(w, ti.keySet())
		default:
			http.NotFound(w, r)
		}
	})
	ti.srv = httptest.NewUnstartedServer(mux)
	// Handshakes a test refuses on purpose are not worth a log line.
	ti.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	ti.srv.StartTLS()
	t.Cleanup(ti.srv.Close)
	ti.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ti.srv.Certificate().Raw}))
	return ti
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// url is the issuer URL of path on this server ("" for the root).
func (ti *testIssuer) url(path string) string { return ti.srv.URL + path }

// addKey creates a key (ES256 or RS256) under kid; publish makes it visible.
func (ti *testIssuer) addKey(t testing.TB, kid string, alg jose.SignatureAlgorithm, publish bool) {
	t.Helper()
	var key crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		key, err = rsa.GenerateKey(rand.Reader, 2048)
	default:
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	}
	if err != nil {
		t.Fatal(err)
	}
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.keys[kid] = signingKey{alg: alg, key: key}
	if publish {
		ti.published = append(ti.published, kid)
	}
}

func (ti *testIssuer) publish(kid string) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.published = append(ti.published, kid)
}

func (ti *testIssuer) keySet() jose.JSONWebKeySet {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	var set jose.JSONWebKeySet
	for _, kid := range ti.published {
		k := ti.keys[kid]
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.key.Public(), KeyID: kid, Algorithm: string(k.alg), Use: "sig"})
	}
	return set
}

// sign returns a compact JWT of claims signed with kid's key.
func (ti *testIssuer) sign(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	ti.mu.Lock()
	k := ti.keys[kid]
	ti.mu.Unlock()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.key}, (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid))
	if err != nil {
		t.Fatal(err)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hmacToken is a token signed with a shared secret, which no issuer may use.
func hmacToken(t testing.TB, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: make([]byte, 32)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}
