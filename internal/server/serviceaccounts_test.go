package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utilnet "k8s.io/apimachinery/pkg/util/net"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kapi-dev/kapi/internal/authn/serviceaccount"
	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// bearerClient is a client of in that authenticates with token only.
func bearerClient(t *testing.T, in *servertest.Instance, token string) *kubernetes.Clientset {
	t.Helper()
	cfg := rest.AnonymousClientConfig(in.Config)
	cfg.BearerToken = token
	return kubernetes.NewForConfigOrDie(cfg)
}

// whoAmI asks the server who token is (a SelfSubjectReview).
func whoAmI(ctx context.Context, cs *kubernetes.Clientset) (authenticationv1.UserInfo, error) {
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(ctx, &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return authenticationv1.UserInfo{}, err
	}
	return r.Status.UserInfo, nil
}

// waitUnauthorized polls until the token no longer authenticates: the checks read the
// watch cache, which sees a deletion a moment after it happened.
func waitUnauthorized(t *testing.T, ctx context.Context, cs *kubernetes.Clientset) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, err := whoAmI(ctx, cs)
		if apierrors.IsUnauthorized(err) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("token still accepted (last err %v), want 401", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func createToken(t *testing.T, ctx context.Context, cs *kubernetes.Clientset, sa string, spec authenticationv1.TokenRequestSpec) string {
	t.Helper()
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, sa, &authenticationv1.TokenRequest{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

func createSA(t *testing.T, ctx context.Context, cs *kubernetes.Clientset, name string) *corev1.ServiceAccount {
	t.Helper()
	sa, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return sa
}

// TestServiceAccountTokens issues tokens through serviceaccounts/token and uses them:
// they authenticate as the service account until the bound pod or the service account
// goes.
func TestServiceAccountTokens(t *testing.T) {
	in := servertest.Start(t)
	admin := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	robot := createSA(t, ctx, admin, "robot")
	pod, err := admin.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "worker"},
		Spec:       corev1.PodSpec{ServiceAccountName: "robot", Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	podToken := createToken(t, ctx, admin, "robot", authenticationv1.TokenRequestSpec{
		BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: "worker", UID: pod.UID}})
	plainToken := createToken(t, ctx, admin, "robot", authenticationv1.TokenRequestSpec{})

	t.Run("the token authenticates as the service account", func(t *testing.T) {
		u, err := whoAmI(ctx, bearerClient(t, in, podToken))
		if err != nil {
			t.Fatal(err)
		}
		if u.Username != "system:serviceaccount:default:robot" || u.UID != string(robot.UID) ||
			!slices.Equal(u.Groups, []string{"system:serviceaccounts", "system:serviceaccounts:default", "system:authenticated"}) {
			t.Fatalf("user %+v", u)
		}
		if !slices.Equal(u.Extra["authentication.kubernetes.io/pod-name"], []string{"worker"}) ||
			!slices.Equal(u.Extra["authentication.kubernetes.io/pod-uid"], []string{string(pod.UID)}) ||
			len(u.Extra["authentication.kubernetes.io/credential-id"]) != 1 || !strings.HasPrefix(u.Extra["authentication.kubernetes.io/credential-id"][0], "JTI=") {
			t.Fatalf("extra %v", u.Extra)
		}
	})
	t.Run("token review", func(t *testing.T) {
		tests := []struct {
			name      string
			audiences []string
			want      bool
		}{
			{name: "API audience", want: true},
			{name: "another audience", audiences: []string{"vault"}, want: false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				tr, err := admin.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{
					Spec: authenticationv1.TokenReviewSpec{Token: plainToken, Audiences: tc.audiences}}, metav1.CreateOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if tr.Status.Authenticated != tc.want || (tc.want && tr.Status.User.Username != "system:serviceaccount:default:robot") {
					t.Fatalf("status %+v", tr.Status)
				}
			})
		}
	})
	t.Run("bad tokens are 401", func(t *testing.T) {
		other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		forged, err := serviceaccount.NewIssuer(server.DefaultServiceAccountIssuer, other)
		if err != nil {
			t.Fatal(err)
		}
		forgedToken, _, err := forged.Issue(serviceaccount.Token{Namespace: "default", Name: "robot", UID: string(robot.UID),
			Audiences: []string{server.DefaultServiceAccountIssuer}, ExpirationSeconds: 3600})
		if err != nil {
			t.Fatal(err)
		}
		parts := strings.Split(plainToken, ".")
		for name, tok := range map[string]string{
			"malformed":            "not-a-jwt",
			"signed by a stranger": forgedToken,
			"truncated signature":  parts[0] + "." + parts[1] + "." + parts[2][:10],
		} {
			if _, err := whoAmI(ctx, bearerClient(t, in, tok)); !apierrors.IsUnauthorized(err) {
				t.Errorf("%s: err = %v, want 401", name, err)
			}
		}
	})
	t.Run("issuer discovery", func(t *testing.T) {
		get := func(c *http.Client, path string) (int, []byte) {
			resp, err := c.Get(in.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, body
		}
		saCfg := rest.AnonymousClientConfig(in.Config)
		saCfg.BearerToken = plainToken
		saHTTP, err := rest.HTTPClientFor(saCfg)
		if err != nil {
			t.Fatal(err)
		}
		code, body := get(saHTTP, "/.well-known/openid-configuration")
		var doc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		// The JWKS is at the advertised address, as upstream's external address.
		u, err := url.Parse(in.URL)
		if err != nil {
			t.Fatal(err)
		}
		advertised, err := utilnet.ResolveBindAddress(net.IPv4(127, 0, 0, 1))
		if err != nil {
			advertised = net.IPv4(127, 0, 0, 1)
		}
		wantJWKS := "https://" + net.JoinHostPort(advertised.String(), u.Port()) + "/openid/v1/jwks"
		if code != 200 || json.Unmarshal(body, &doc) != nil || doc.Issuer != server.DefaultServiceAccountIssuer ||
			doc.JWKSURI != wantJWKS {
			t.Fatalf("%d %s", code, body)
		}
		code, body = get(saHTTP, "/openid/v1/jwks")
		var set jose.JSONWebKeySet
		if code != 200 || json.Unmarshal(body, &set) != nil || len(set.Keys) != 1 {
			t.Fatalf("%d %s", code, body)
		}
		jws, err := jose.ParseSignedCompact(plainToken, []jose.SignatureAlgorithm{jose.ES256})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jws.Verify(set.Keys[0].Key); err != nil {
			t.Fatalf("the published key does not verify an issued token: %v", err)
		}
		if code, _ := get(in.AnonymousClient(t), "/openid/v1/jwks"); code != http.StatusForbidden {
			t.Fatalf("anonymous: %d, want 403", code)
		}
	})
	t.Run("deleting the bound pod revokes the token", func(t *testing.T) {
		cs := bearerClient(t, in, podToken)
		if err := admin.CoreV1().Pods("default").Delete(ctx, "worker", metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
			t.Fatal(err)
		}
		waitUnauthorized(t, ctx, cs)
		if _, err := whoAmI(ctx, bearerClient(t, in, plainToken)); err != nil {
			t.Fatalf("the unbound token stopped working too: %v", err)
		}
	})
	t.Run("recreating the service account revokes the token", func(t *testing.T) {
		if err := admin.CoreV1().ServiceAccounts("default").Delete(ctx, "robot", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		createSA(t, ctx, admin, "robot")
		waitUnauthorized(t, ctx, bearerClient(t, in, plainToken))
		fresh := createToken(t, ctx, admin, "robot", authenticationv1.TokenRequestSpec{})
		if _, err := whoAmI(ctx, bearerClient(t, in, fresh)); err != nil {
			t.Fatalf("a token of the new service account: %v", err)
		}
	})
}

func pemFile(t *testing.T, dir, name, typ string, der []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestServiceAccountExternalKeys runs with kube-apiserver's flags: a signing key, an
// older key that still verifies, two issuers and explicit API audiences; and checks
// legacy secret-based tokens.
func TestServiceAccountExternalKeys(t *testing.T) {
	dir := t.TempDir()
	signing, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	old, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalECPrivateKey(signing)
	if err != nil {
		t.Fatal(err)
	}
	oldPub, err := x509.MarshalPKIXPublicKey(old.Public())
	if err != nil {
		t.Fatal(err)
	}
	signingFile := pemFile(t, dir, "sa.key", "EC PRIVATE KEY", ecDER)
	oldFile := pemFile(t, dir, "old.pub", "PUBLIC KEY", oldPub)
	in := servertest.StartWith(t, func(c *server.Config) {
		c.ServiceAccountSigningKeyFile = signingFile
		c.ServiceAccountKeyFiles = []string{signingFile, oldFile}
		c.ServiceAccountIssuers = []string{"https://issuer.example", "https://old.example"}
		c.APIAudiences = []string{"api"}
	})
	admin := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	robot := createSA(t, ctx, admin, "robot")

	issue := func(t *testing.T, iss string, key crypto.Signer) string {
		t.Helper()
		i, err := serviceaccount.NewIssuer(iss, key)
		if err != nil {
			t.Fatal(err)
		}
		tok, _, err := i.Issue(serviceaccount.Token{Namespace: "default", Name: "robot", UID: string(robot.UID), Audiences: []string{"api"}, ExpirationSeconds: 600})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	legacyIssuer, err := serviceaccount.NewIssuer(serviceaccount.LegacyIssuer, signing)
	if err != nil {
		t.Fatal(err)
	}
	legacyToken, err := legacyIssuer.IssueLegacy("default", "robot", string(robot.UID), "robot-token")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "robot-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "robot"}},
		Type:       corev1.SecretTypeServiceAccountToken,
		Data:       map[string][]byte{"token": []byte(legacyToken)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name  string
		token func(t *testing.T) string
		ok    bool
	}{
		{name: "issued by the server", ok: true, token: func(t *testing.T) string {
			tok := createToken(t, ctx, admin, "robot", authenticationv1.TokenRequestSpec{})
			if !strings.HasPrefix(tok, "eyJhbGciOiJFUzI1NiIs") { // {"alg":"ES256",
				t.Errorf("token not signed with ES256: %.40s", tok)
			}
			return tok
		}},
		{name: "older key and second issuer", ok: true, token: func(t *testing.T) string { return issue(t, "https://old.example", old) }},
		{name: "unknown issuer", token: func(t *testing.T) string { return issue(t, "https://other.example", signing) }},
		{name: "legacy token", ok: true, token: func(*testing.T) string { return legacyToken }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, err := whoAmI(ctx, bearerClient(t, in, tc.token(t)))
			if tc.ok && (err != nil || u.Username != "system:serviceaccount:default:robot") {
				t.Fatalf("user %+v, err %v", u, err)
			}
			if !tc.ok && !apierrors.IsUnauthorized(err) {
				t.Fatalf("err = %v, want 401", err)
			}
		})
	}
	t.Run("legacy token use is recorded", func(t *testing.T) {
		s, err := admin.CoreV1().Secrets("default").Get(ctx, "robot-token", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Labels[serviceaccount.LastUsedLabel], time.Now().UTC().Format("2006-01-02"); got != want {
			t.Fatalf("last-used label %q, want %q", got, want)
		}
	})
	t.Run("invalidated legacy token", func(t *testing.T) {
		s, err := admin.CoreV1().Secrets("default").Get(ctx, "robot-token", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		s.Labels[serviceaccount.InvalidSinceLabel] = "2026-01-01"
		if _, err := admin.CoreV1().Secrets("default").Update(ctx, s, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		waitUnauthorized(t, ctx, bearerClient(t, in, legacyToken))
	})
	t.Run("key set lists each key once", func(t *testing.T) {
		resp, err := in.HTTPClient(t).Get(in.URL + "/openid/v1/jwks")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var set jose.JSONWebKeySet
		if err := json.NewDecoder(resp.Body).Decode(&set); err != nil || len(set.Keys) != 2 {
			t.Fatalf("keys %d, err %v", len(set.Keys), err)
		}
	})
}
