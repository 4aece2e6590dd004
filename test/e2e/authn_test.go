package e2e

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// authnFixture is what the authentication flags point at: a front proxy CA with a
// proxy certificate, an OpenID issuer on loopback TLS and a token webhook.
type authnFixture struct {
	dir                     string
	proxyCAFile             string
	proxyCertPEM, proxyKey  []byte
	issuerURL, issuerCAFile string
	issuerKey               *ecdsa.PrivateKey
	webhookKubeconfig       string
}

func newAuthnFixture(t *testing.T) *authnFixture {
	t.Helper()
	f := &authnFixture{dir: t.TempDir()}
	write := func(name string, data []byte) string {
		p := filepath.Join(f.dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	newKey := func() *ecdsa.PrivateKey {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	caKey := newKey()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "front-proxy-ca"}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	f.proxyCAFile = write("front-proxy-ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}))
	proxyKey := newKey()
	proxyDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "front-proxy-client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}, ca, &proxyKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(proxyKey)
	f.proxyCertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: proxyDER})
	f.proxyKey = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})

	f.issuerKey = newKey()
	issuer := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": f.issuerURL, "jwks_uri": f.issuerURL + "/keys"})
		case "/keys":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &f.issuerKey.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(issuer.Close)
	f.issuerURL = issuer.URL
	f.issuerCAFile = write("issuer-ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: issuer.Certificate().Raw}))

	hook := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review authenticationv1.TokenReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if review.Spec.Token == "webhook-token" {
			review.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "webhook-user"}}
		}
		_ = json.NewEncoder(w).Encode(review)
	}))
	t.Cleanup(hook.Close)
	hookCA := write("webhook-ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: hook.Certificate().Raw}))
	f.webhookKubeconfig = write("webhook.kubeconfig", fmt.Appendf(nil,
		"apiVersion: v1\nkind: Config\nclusters:\n- name: hook\n  cluster: {server: %s, certificate-authority: %s}\nusers:\n- name: kapi\ncontexts:\n- name: hook\n  context: {cluster: hook, user: kapi}\ncurrent-context: hook\n",
		hook.URL, hookCA))
	return f
}

func (f *authnFixture) idToken(t *testing.T, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: f.issuerKey}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(claims)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := jws.CompactSerialize()
	return s
}

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	next    http.RoundTripper
	headers map[string]string
}

func (h headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range h.headers {
		r.Header.Set(k, v)
	}
	return h.next.RoundTrip(r)
}

// TestAuthenticationFlags starts the binary with the front proxy, OIDC, bootstrap
// token and token webhook flags and asks who each credential is.
func TestAuthenticationFlags(t *testing.T) {
	f := newAuthnFixture(t)
	s := startKapiWithArgs(t, t.TempDir(),
		"--requestheader-client-ca-file", f.proxyCAFile,
		"--requestheader-allowed-names", "front-proxy-client",
		"--requestheader-username-headers", "X-Remote-User",
		"--requestheader-group-headers", "X-Remote-Group",
		"--requestheader-extra-headers-prefix", "X-Remote-Extra-",
		"--oidc-issuer-url", f.issuerURL,
		"--oidc-client-id", "kapi",
		"--oidc-ca-file", f.issuerCAFile,
		"--oidc-username-claim", "email",
		"--oidc-groups-claim", "groups",
		"--oidc-groups-prefix", "oidc:",
		"--oidc-signing-algs", "ES256",
		"--oidc-required-claim", "hd=example.com",
		"--enable-bootstrap-token-auth",
		"--authentication-token-webhook-config-file", f.webhookKubeconfig,
		"--authentication-token-webhook-version", "v1",
	)
	admin := s.restConfig(t)
	anonymous := rest.AnonymousClientConfig(admin)
	exp := time.Now().Add(time.Hour).Unix()
	tests := []struct {
		name   string
		config func() *rest.Config
		want   *authenticationv1.UserInfo
	}{
		{name: "OIDC e-mail is not prefixed", config: func() *rest.Config {
			c := rest.CopyConfig(anonymous)
			c.BearerToken = f.idToken(t, map[string]any{"iss": f.issuerURL, "aud": "kapi", "email": "alice@example.com", "groups": []string{"devs"}, "hd": "example.com", "exp": exp})
			return c
		}, want: &authenticationv1.UserInfo{Username: "alice@example.com", Groups: []string{"oidc:devs", "system:authenticated"}}},
		{name: "OIDC token without the required claim", config: func() *rest.Config {
			c := rest.CopyConfig(anonymous)
			c.BearerToken = f.idToken(t, map[string]any{"iss": f.issuerURL, "aud": "kapi", "email": "alice@example.com", "exp": exp})
			return c
		}},
		{name: "webhook token", config: func() *rest.Config {
			c := rest.CopyConfig(anonymous)
			c.BearerToken = "webhook-token"
			return c
		}, want: &authenticationv1.UserInfo{Username: "webhook-user", Groups: []string{"system:authenticated"}}},
		{name: "front proxy", config: func() *rest.Config {
			c := rest.CopyConfig(anonymous)
			c.CertData, c.KeyData = f.proxyCertPEM, f.proxyKey
			c.WrapTransport = func(rt http.RoundTripper) http.RoundTripper {
				return headerTransport{next: rt, headers: map[string]string{"X-Remote-User": "proxied", "X-Remote-Group": "team", "X-Remote-Extra-Scope": "read"}}
			}
			return c
		}, want: &authenticationv1.UserInfo{Username: "proxied", Groups: []string{"team", "system:authenticated"}, Extra: map[string]authenticationv1.ExtraValue{"scope": {"read"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			review, err := kubernetes.NewForConfigOrDie(tc.config()).AuthenticationV1().SelfSubjectReviews().Create(ctx(t, 30*time.Second), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
			if tc.want == nil {
				if err == nil || err.Error() != "Unauthorized" {
					t.Fatalf("SelfSubjectReview = %+v, %v; want Unauthorized", review, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("SelfSubjectReview: %v\n%s", err, s.logTail(20))
			}
			if got := review.Status.UserInfo; !reflect.DeepEqual(&got, tc.want) {
				t.Fatalf("user = %+v, want %+v", got, *tc.want)
			}
		})
	}
}
