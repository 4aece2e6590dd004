package server_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

func writeAuthnFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testCA is a certificate authority that issues client certificates.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T, cn string) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: cn}, IsCA: true, BasicConstraintsValid: true,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &testCA{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
}

func (ca *testCA) clientCert(t *testing.T, cn string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// oidcIssuer is an OpenID provider on loopback TLS with one ES256 key.
type oidcIssuer struct {
	url, caPEM string
	key        *ecdsa.PrivateKey
}

func newOIDCIssuer(t *testing.T) *oidcIssuer {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	iss := &oidcIssuer{key: key}
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/.well-known/openid-configuration":
			_ = json.NewEncoder(w).Encode(map[string]string{"issuer": iss.url, "jwks_uri": iss.url + "/keys"})
		case "/keys":
			_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &key.PublicKey, KeyID: "k1", Algorithm: "ES256", Use: "sig"}}})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	iss.url = srv.URL
	iss.caPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return iss
}

func (i *oidcIssuer) token(t *testing.T, claims map[string]any) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: i.key}, (&jose.SignerOptions{}).WithHeader("kid", "k1"))
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

// tokenWebhook authenticates "webhook-token" as webhook-user.
func tokenWebhook(t *testing.T) string {
	t.Helper()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var review authenticationv1.TokenReview
		if err := json.NewDecoder(r.Body).Decode(&review); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if review.Spec.Token == "webhook-token" {
			review.Status = authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: "webhook-user", Groups: []string{"hooked"}}}
		}
		_ = json.NewEncoder(w).Encode(review)
	}))
	t.Cleanup(srv.Close)
	ca := writeAuthnFile(t, "webhook-ca.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	return writeAuthnFile(t, "webhook.kubeconfig", fmt.Appendf(nil, `apiVersion: v1
kind: Config
clusters:
- name: hook
  cluster: {server: %s, certificate-authority: %s}
users:
- name: kapi
contexts:
- name: hook
  context: {cluster: hook, user: kapi}
current-context: hook
`, srv.URL, ca))
}

// TestExternalAuthenticators runs a server with a front proxy, bootstrap tokens, a
// JWT issuer (and anonymous access limited to /healthz) from an
// AuthenticationConfiguration and a token webhook, and asks it who each kind of
// credential is.
func TestExternalAuthenticators(t *testing.T) {
	proxyCA := newTestCA(t, "front-proxy-ca")
	strangerCA := newTestCA(t, "stranger-ca")
	issuer := newOIDCIssuer(t)
	caIndented := "      " + strings.ReplaceAll(strings.TrimSpace(issuer.caPEM), "\n", "\n      ")
	authnConfig := writeAuthnFile(t, "authn.yaml", fmt.Appendf(nil, `apiVersion: apiserver.config.k8s.io/v1
kind: AuthenticationConfiguration
jwt:
- issuer:
    url: %s
    audiences: [kapi]
    certificateAuthority: |
%s
  claimMappings:
    username: {claim: sub, prefix: "oidc:"}
    groups: {expression: "claims.roles"}
anonymous:
  enabled: true
  conditions: [{path: /healthz}]
`, issuer.url, caIndented))
	in := servertest.StartWith(t, func(c *server.Config) {
		c.RequestHeaderClientCAFile = writeAuthnFile(t, "front-proxy-ca.crt", proxyCA.pem)
		c.RequestHeaderAllowedNames = []string{"front-proxy-client"}
		c.RequestHeaderUsernameHeaders = []string{"X-Remote-User"}
		c.RequestHeaderUIDHeaders = []string{"X-Remote-Uid"}
		c.RequestHeaderGroupHeaders = []string{"X-Remote-Group"}
		c.RequestHeaderExtraHeaderPrefixes = []string{"X-Remote-Extra-"}
		c.EnableBootstrapTokenAuth = true
		c.AuthenticationConfigFile = authnConfig
		c.AuthenticationTokenWebhookConfigFile = tokenWebhook(t)
		c.AuthenticationTokenWebhookCacheTTL = time.Minute
	})
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(in.Config)
	if _, err := cs.CoreV1().Secrets("kube-system").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-abcdef", Namespace: "kube-system"},
		Type:       "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{"token-id": []byte("abcdef"), "token-secret": []byte("0123456789abcdef"),
			"usage-bootstrap-authentication": []byte("true"), "auth-extra-groups": []byte("system:bootstrappers:nodes")},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	oidcClaims := func(exp time.Time) map[string]any {
		return map[string]any{"iss": issuer.url, "aud": "kapi", "sub": "alice", "roles": []string{"viewers"}, "exp": exp.Unix()}
	}
	serverCAs := x509.NewCertPool()
	serverCAs.AppendCertsFromPEM(in.Config.CAData)
	clientWith := func(certs ...tls.Certificate) *http.Client {
		// Certificates, not GetClientCertificate: Go sends a certificate only when
		// the server names its CA as acceptable.
		return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: serverCAs, Certificates: certs}}}
	}
	tests := []struct {
		name     string
		client   *http.Client
		headers  map[string]string
		want     *authenticationv1.UserInfo
		wantCode int
	}{
		{name: "front proxy", client: clientWith(proxyCA.clientCert(t, "front-proxy-client")),
			headers: map[string]string{"X-Remote-User": "proxied", "X-Remote-Uid": "p-1", "X-Remote-Group": "proxied-group", "X-Remote-Extra-Acme.com%2fteam": "blue"},
			want: &authenticationv1.UserInfo{Username: "proxied", UID: "p-1", Groups: []string{"proxied-group", "system:authenticated"},
				Extra: map[string]authenticationv1.ExtraValue{"acme.com/team": {"blue"}}}},
		{name: "front proxy with a name not allowed", client: clientWith(proxyCA.clientCert(t, "intruder")),
			headers: map[string]string{"X-Remote-User": "proxied"}, wantCode: http.StatusUnauthorized},
		{name: "certificate of an unknown CA", client: clientWith(strangerCA.clientCert(t, "front-proxy-client")),
			headers: map[string]string{"X-Remote-User": "proxied"}, wantCode: http.StatusUnauthorized},
		{name: "bootstrap token", client: clientWith(), headers: map[string]string{"Authorization": "Bearer abcdef.0123456789abcdef"},
			want: &authenticationv1.UserInfo{Username: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers", "system:bootstrappers:nodes", "system:authenticated"}}},
		{name: "bootstrap token with a wrong secret", client: clientWith(), headers: map[string]string{"Authorization": "Bearer abcdef.0000000000000000"},
			wantCode: http.StatusUnauthorized},
		{name: "OIDC token", client: clientWith(), headers: map[string]string{"Authorization": "Bearer " + issuer.token(t, oidcClaims(now.Add(time.Hour)))},
			want: &authenticationv1.UserInfo{Username: "oidc:alice", Groups: []string{"viewers", "system:authenticated"}}},
		{name: "expired OIDC token", client: clientWith(), headers: map[string]string{"Authorization": "Bearer " + issuer.token(t, oidcClaims(now.Add(-time.Hour)))},
			wantCode: http.StatusUnauthorized},
		{name: "webhook token", client: clientWith(), headers: map[string]string{"Authorization": "Bearer webhook-token"},
			want: &authenticationv1.UserInfo{Username: "webhook-user", Groups: []string{"hooked", "system:authenticated"}}},
		{name: "token nobody knows", client: clientWith(), headers: map[string]string{"Authorization": "Bearer who-am-i"}, wantCode: http.StatusUnauthorized},
		{name: "anonymous outside the allowed paths", client: clientWith(), wantCode: http.StatusUnauthorized},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(`{"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"}`)
			req, _ := http.NewRequest(http.MethodPost, in.URL+"/apis/authentication.k8s.io/v1/selfsubjectreviews", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			for k, v := range tc.headers {
				req.Header.Set(k, v)
			}
			resp, err := tc.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if tc.wantCode != 0 {
				var st metav1.Status
				if resp.StatusCode != tc.wantCode || json.Unmarshal(data, &st) != nil || st.Reason != metav1.StatusReasonUnauthorized || st.Message != "Unauthorized" {
					t.Fatalf("got %d %s, want %d Unauthorized Status", resp.StatusCode, data, tc.wantCode)
				}
				return
			}
			var review authenticationv1.SelfSubjectReview
			if resp.StatusCode != http.StatusCreated || json.Unmarshal(data, &review) != nil {
				t.Fatalf("got %d %s", resp.StatusCode, data)
			}
			if got := review.Status.UserInfo; !reflect.DeepEqual(&got, tc.want) {
				t.Fatalf("user = %+v, want %+v", got, *tc.want)
			}
		})
	}
	t.Run("anonymous on an allowed path", func(t *testing.T) {
		resp, err := clientWith().Get(in.URL + "/healthz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("anonymous /healthz = %d, want 200", resp.StatusCode)
		}
	})
	t.Run("TokenReview of an OIDC token", func(t *testing.T) {
		tr, err := cs.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: issuer.token(t, oidcClaims(now.Add(time.Hour)))}}, metav1.CreateOptions{})
		if err != nil || !tr.Status.Authenticated || tr.Status.User.Username != "oidc:alice" {
			t.Fatalf("TokenReview = %+v, %v", tr, err)
		}
	})
	t.Run("front proxy settings published", func(t *testing.T) {
		cm, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "extension-apiserver-authentication", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"requestheader-client-ca-file":       string(proxyCA.pem),
			"requestheader-allowed-names":        `["front-proxy-client"]`,
			"requestheader-username-headers":     `["X-Remote-User"]`,
			"requestheader-uid-headers":          `["X-Remote-Uid"]`,
			"requestheader-group-headers":        `["X-Remote-Group"]`,
			"requestheader-extra-headers-prefix": `["X-Remote-Extra-"]`,
		}
		for k, v := range want {
			if cm.Data[k] != v {
				t.Errorf("%s = %q, want %q", k, cm.Data[k], v)
			}
		}
		if !strings.Contains(cm.Data["client-ca-file"], "BEGIN CERTIFICATE") {
			t.Errorf("client-ca-file lost: %q", cm.Data["client-ca-file"])
		}
	})
	t.Run("admin client certificate still works", func(t *testing.T) {
		if _, err := cs.CoreV1().Namespaces().Get(ctx, "default", metav1.GetOptions{}); err != nil {
			t.Fatal(err)
		}
	})
}

func TestAuthenticationFlagErrors(t *testing.T) {
	tests := []struct {
		name      string
		configure func(*testing.T, *server.Config)
		want      string
	}{
		{"oidc flags with an authentication config", func(t *testing.T, c *server.Config) {
			c.OIDCIssuerURL = "https://issuer.example"
			c.AuthenticationConfigFile = writeAuthnFile(t, "a.yaml", []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n"))
		}, "authentication-config file and oidc-* flags are mutually exclusive"},
		{"oidc issuer without client id", func(t *testing.T, c *server.Config) { c.OIDCIssuerURL = "https://issuer.example" },
			"oidc-issuer-url and oidc-client-id must be specified together"},
		{"http oidc issuer", func(t *testing.T, c *server.Config) {
			c.OIDCIssuerURL, c.OIDCClientID = "http://issuer.example", "kapi"
		},
			"URL scheme must be https"},
		{"uid headers without X-Remote-Uid", func(t *testing.T, c *server.Config) { c.RequestHeaderUIDHeaders = []string{"X-Id"} },
			"--requestheader-uid-headers is set without specifying the standard X-Remote-Uid header"},
		{"empty request header", func(t *testing.T, c *server.Config) { c.RequestHeaderUsernameHeaders = []string{" "} },
			`empty value in "requestheader-username-headers"`},
		{"missing request header CA", func(t *testing.T, c *server.Config) { c.RequestHeaderClientCAFile = filepath.Join(t.TempDir(), "nope") },
			"--requestheader-client-ca-file"},
		{"bad webhook version", func(t *testing.T, c *server.Config) { c.AuthenticationTokenWebhookVersion = "v2" },
			`unsupported authentication webhook version "v2"`},
		{"invalid authentication config", func(t *testing.T, c *server.Config) {
			c.AuthenticationConfigFile = writeAuthnFile(t, "a.yaml", []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\njwt:\n- issuer: {url: https://i}\n"))
		}, "jwt[0].issuer.audiences: Required value"},
		{"anonymous in the config with --anonymous-auth=false", func(t *testing.T, c *server.Config) {
			c.AnonymousAuth = false
			c.AuthenticationConfigFile = writeAuthnFile(t, "a.yaml", []byte("apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\nanonymous: {enabled: true}\n"))
		}, "--anonymous-auth flag cannot be set when anonymous field is configured"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Config{DataDir: t.TempDir(), EtcdServers: []string{"http://127.0.0.1:1"}, AnonymousAuth: true}
			tc.configure(t, &cfg)
			_, err := server.New(context.Background(), cfg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
