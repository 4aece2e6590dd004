package builtin_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/server"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// tokenClaims decodes the payload of a JWT without verifying it.
func tokenClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func claimSeconds(c map[string]any, key string) int64 { f, _ := c[key].(float64); return int64(f) }

func kubeClaim(c map[string]any, path ...string) any {
	var v any = c["kubernetes.io"]
	for _, p := range path {
		m, _ := v.(map[string]any)
		v = m[p]
	}
	return v
}

// TestServiceAccountTokenRequest covers serviceaccounts/token: defaults, validation
// with upstream's messages, bound objects, the expiration cap and extension.
func TestServiceAccountTokenRequest(t *testing.T) {
	in := servertest.StartWith(t, func(c *server.Config) { c.ServiceAccountMaxTokenExpiration = 2 * time.Hour })
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	sa, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sa"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	node, err := cs.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	mkPod := func(name, saName, nodeName string) *corev1.Pod {
		p, err := cs.CoreV1().Pods("default").Create(ctx, &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec: corev1.PodSpec{ServiceAccountName: saName, NodeName: nodeName,
				Containers: []corev1.Container{{Name: "c", Image: "nginx"}}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	onNode := mkPod("on-node", "sa", "n1")
	onLostNode := mkPod("on-lost-node", "sa", "lost")
	otherSA := mkPod("other-sa", "default", "")
	secret, err := cs.CoreV1().Secrets("default").Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	i64 := func(v int64) *int64 { return &v }
	ref := func(kind, name string, uid types.UID) *authenticationv1.BoundObjectReference {
		return &authenticationv1.BoundObjectReference{Kind: kind, APIVersion: "v1", Name: name, UID: uid}
	}

	tests := []struct {
		name   string
		sa     string
		req    authenticationv1.TokenRequest
		dryRun bool
		// code and msg describe the expected error; check the expected success.
		code  int32
		msg   string
		check func(t *testing.T, tr *authenticationv1.TokenRequest, claims map[string]any)
	}{
		{name: "defaults", sa: "sa", check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
			if tr.Name != "sa" || tr.Namespace != "default" || tr.UID != sa.UID || tr.CreationTimestamp.IsZero() {
				t.Errorf("metadata %+v", tr.ObjectMeta)
			}
			if *tr.Spec.ExpirationSeconds != 3600 || len(tr.Spec.Audiences) != 1 || tr.Spec.Audiences[0] != server.DefaultServiceAccountIssuer {
				t.Errorf("spec %+v", tr.Spec)
			}
			if d := time.Until(tr.Status.ExpirationTimestamp.Time); d < 59*time.Minute || d > 61*time.Minute {
				t.Errorf("expires in %v", d)
			}
			if c["iss"] != server.DefaultServiceAccountIssuer || c["sub"] != "system:serviceaccount:default:sa" ||
				claimSeconds(c, "exp")-claimSeconds(c, "iat") != 3600 || c["jti"] == nil {
				t.Errorf("claims %v", c)
			}
			if kubeClaim(c, "serviceaccount", "uid") != string(sa.UID) || kubeClaim(c, "namespace") != "default" {
				t.Errorf("kubernetes.io claim %v", c["kubernetes.io"])
			}
		}},
		{name: "dry run issues a token all the same", sa: "sa", dryRun: true, check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
			if c["sub"] != "system:serviceaccount:default:sa" {
				t.Errorf("claims %v", c)
			}
		}},
		{name: "audiences and expiration kept", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences: []string{"vault", "x"}, ExpirationSeconds: i64(600)}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if aud, _ := c["aud"].([]any); len(aud) != 2 || claimSeconds(c, "exp")-claimSeconds(c, "iat") != 600 {
					t.Errorf("claims %v", c)
				}
			}},
		{name: "capped by the maximum expiration", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: i64(100000)}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if *tr.Spec.ExpirationSeconds != 7200 || claimSeconds(c, "exp")-claimSeconds(c, "iat") != 7200 {
					t.Errorf("spec %d, claims %v", *tr.Spec.ExpirationSeconds, c)
				}
			}},
		{name: "pod-bound on a node", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "on-node", onNode.UID)}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if kubeClaim(c, "pod", "uid") != string(onNode.UID) || kubeClaim(c, "node", "name") != "n1" || kubeClaim(c, "node", "uid") != string(node.UID) {
					t.Errorf("kubernetes.io claim %v", c["kubernetes.io"])
				}
			}},
		{name: "pod-bound on a missing node keeps the node name", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "on-lost-node", "")}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if kubeClaim(c, "pod", "uid") != string(onLostNode.UID) || kubeClaim(c, "node", "name") != "lost" || kubeClaim(c, "node", "uid") != nil {
					t.Errorf("kubernetes.io claim %v", c["kubernetes.io"])
				}
			}},
		{name: "projected token is extended", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			BoundObjectRef: ref("Pod", "on-node", ""), ExpirationSeconds: i64(3607)}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				iat := claimSeconds(c, "iat")
				if claimSeconds(c, "exp")-iat != 365*24*3600 || int64(kubeClaim(c, "warnafter").(float64))-iat != 3607 {
					t.Errorf("claims %v", c)
				}
				if d := time.Until(tr.Status.ExpirationTimestamp.Time); d > 3608*time.Second {
					t.Errorf("status says the token expires in %v, want the requested 3607s", d)
				}
			}},
		{name: "projected token for another audience is not extended", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			BoundObjectRef: ref("Pod", "on-node", ""), ExpirationSeconds: i64(3607), Audiences: []string{"vault"}}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if claimSeconds(c, "exp")-claimSeconds(c, "iat") != 3607 || kubeClaim(c, "warnafter") != nil {
					t.Errorf("claims %v", c)
				}
			}},
		{name: "node-bound", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Node", "n1", node.UID)}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if kubeClaim(c, "node", "uid") != string(node.UID) || kubeClaim(c, "pod") != nil {
					t.Errorf("kubernetes.io claim %v", c["kubernetes.io"])
				}
			}},
		{name: "secret-bound", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Secret", "s", "")}},
			check: func(t *testing.T, tr *authenticationv1.TokenRequest, c map[string]any) {
				if kubeClaim(c, "secret", "uid") != string(secret.UID) {
					t.Errorf("kubernetes.io claim %v", c["kubernetes.io"])
				}
			}},

		{name: "too short", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: i64(599)}},
			code: 422, msg: `TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 599: may not specify a duration less than 10 minutes`},
		{name: "too long", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: i64(1<<32 + 1)}},
			code: 422, msg: `spec.expirationSeconds: Invalid value: 4294967297: may not specify a duration larger than 2^32 seconds`},
		{name: "name differs", sa: "sa", req: authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Name: "other"}},
			code: 422, msg: `TokenRequest.authentication.k8s.io "sa" is invalid: metadata.name: Invalid value: "other": must match the service account name if specified`},
		{name: "namespace differs", sa: "sa", req: authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system"}},
			code: 400, msg: "the namespace of the provided object does not match the namespace sent on the request"},
		{name: "no such service account", sa: "nope", code: 404, msg: `serviceaccounts "nope" not found`},
		{name: "service account uid differs", sa: "sa", req: authenticationv1.TokenRequest{ObjectMeta: metav1.ObjectMeta{UID: "not-it"}},
			code: 409, msg: `Operation cannot be fulfilled on TokenRequest.authentication.k8s.io "sa": the UID in the token request (not-it) does not match the UID of the service account (` + string(sa.UID) + `)`},
		{name: "pod of another service account", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", otherSA.Name, "")}},
			code: 400, msg: `cannot bind token for serviceaccount "sa" to pod running with different serviceaccount name.`},
		{name: "bound pod missing", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "ghost", "")}},
			code: 404, msg: `pods "ghost" not found`},
		{name: "bound uid differs", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("Pod", "on-node", "stale")}},
			code: 409, msg: `Operation cannot be fulfilled on Pod "on-node": the UID in the bound object reference (stale) does not match the UID in record. The object might have been deleted and then recreated`},
		{name: "unsupported kind", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{BoundObjectRef: ref("ConfigMap", "c", "")}},
			code: 400, msg: `cannot bind token to object of type /v1, Kind=ConfigMap`},
		{name: "webhook binding is gated", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Audiences:      []string{"https://webhook"},
			BoundObjectRef: &authenticationv1.BoundObjectReference{Kind: "ValidatingWebhookConfiguration", APIVersion: "admissionregistration.k8s.io/v1", Name: "w"},
			Attestations:   map[string]authenticationv1.AttestationValue{"admissionReviewAPIGroups": {"*"}}}},
			code: 400, msg: "feature gate APIServerWebhookAuthenticationToken is disabled"},
		{name: "attestations need a webhook binding", sa: "sa", req: authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
			Attestations: map[string]authenticationv1.AttestationValue{"admissionReviewAPIGroups": {"*"}}}},
			code: 422, msg: "spec.attestations: Invalid value: {\"admissionReviewAPIGroups\":[\"*\"]}: attestations may only be specified with a webhook bound object reference"},
	}
	t.Run("discovery matches kube-apiserver", func(t *testing.T) {
		raw, err := os.ReadFile("/work/shared/reference/discovery/api_v1.json")
		if err != nil {
			t.Skipf("reference discovery not available: %v", err)
		}
		var want metav1.APIResourceList
		if err := json.Unmarshal(raw, &want); err != nil {
			t.Fatal(err)
		}
		got, err := cs.Discovery().ServerResourcesForGroupVersion("v1")
		if err != nil {
			t.Fatal(err)
		}
		find := func(l *metav1.APIResourceList) *metav1.APIResource {
			for i := range l.APIResources {
				if l.APIResources[i].Name == "serviceaccounts/token" {
					return &l.APIResources[i]
				}
			}
			return nil
		}
		if g, w := find(got), find(&want); g == nil || w == nil || !reflect.DeepEqual(*g, *w) {
			t.Fatalf("serviceaccounts/token\n got %+v\nwant %+v", g, w)
		}
	})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := metav1.CreateOptions{}
			if tc.dryRun {
				opts.DryRun = []string{metav1.DryRunAll}
			}
			req := tc.req
			tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, tc.sa, &req, opts)
			if tc.code != 0 {
				var st apierrors.APIStatus
				ok := false
				if s, isStatus := err.(apierrors.APIStatus); isStatus {
					st, ok = s, true
				}
				if !ok || st.Status().Code != tc.code || !strings.Contains(err.Error(), tc.msg) {
					t.Fatalf("err = %v, want %d with %q", err, tc.code, tc.msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.Status.Token == "" {
				t.Fatal("no token in status")
			}
			tc.check(t, tr, tokenClaims(t, tr.Status.Token))
		})
	}
}
