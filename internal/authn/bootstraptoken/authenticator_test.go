package bootstraptoken_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kapi-dev/kapi/internal/authn/bootstraptoken"
	"github.com/kapi-dev/kapi/internal/request"
	"github.com/kapi-dev/kapi/internal/server/servertest"
)

// clientSecrets reads Secrets from a real kapi through client-go.
type clientSecrets struct{ cs kubernetes.Interface }

func (c clientSecrets) Secret(ctx context.Context, ns, name string) (*corev1.Secret, error) {
	return c.cs.CoreV1().Secrets(ns).Get(ctx, name, metav1.GetOptions{})
}

func TestAuthenticateToken(t *testing.T) {
	in := servertest.Start(t)
	cs := kubernetes.NewForConfigOrDie(in.Config)
	ctx := context.Background()
	secret := func(id string, data map[string]string, change func(*corev1.Secret)) {
		// Data, not StringData: kapi does not merge stringData into data yet.
		s := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "bootstrap-token-" + id, Namespace: "kube-system"},
			Type:       bootstraptoken.SecretType,
			Data:       map[string][]byte{"token-id": []byte(id), "token-secret": []byte("0123456789abcdef"), "usage-bootstrap-authentication": []byte("true")},
		}
		for k, v := range data {
			if v == "" {
				delete(s.Data, k)
				continue
			}
			s.Data[k] = []byte(v)
		}
		if change != nil {
			change(s)
		}
		if _, err := cs.CoreV1().Secrets("kube-system").Create(ctx, s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	past := time.Now().Add(-time.Minute).UTC().Format(time.RFC3339)
	secret("abcdef", nil, nil)
	secret("groups", map[string]string{"auth-extra-groups": "system:bootstrappers:kubeadm:default-node-token,system:bootstrappers:a,system:bootstrappers:a", "expiration": future}, nil)
	secret("expird", map[string]string{"expiration": past}, nil)
	secret("badexp", map[string]string{"expiration": "tomorrow"}, nil)
	secret("nouse1", map[string]string{"usage-bootstrap-authentication": ""}, nil)
	secret("nouse2", map[string]string{"usage-bootstrap-authentication": "yes"}, nil)
	secret("badgrp", map[string]string{"auth-extra-groups": "system:masters"}, nil)
	secret("wrngid", map[string]string{"token-id": "other1"}, nil)
	secret("opaque", nil, func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque })

	a := bootstraptoken.New(clientSecrets{cs})
	tests := []struct {
		name  string
		token string
		want  *request.User
	}{
		{name: "valid", token: "abcdef.0123456789abcdef", want: &request.User{Name: "system:bootstrap:abcdef", Groups: []string{"system:bootstrappers"}}},
		{name: "extra groups sorted without duplicates, not yet expired", token: "groups.0123456789abcdef",
			want: &request.User{Name: "system:bootstrap:groups", Groups: []string{"system:bootstrappers", "system:bootstrappers:a", "system:bootstrappers:kubeadm:default-node-token"}}},
		{name: "wrong secret", token: "abcdef.0123456789abcdee"},
		{name: "expired", token: "expird.0123456789abcdef"},
		{name: "unparseable expiration", token: "badexp.0123456789abcdef"},
		{name: "no authentication usage", token: "nouse1.0123456789abcdef"},
		{name: "usage not true", token: "nouse2.0123456789abcdef"},
		{name: "invalid extra group", token: "badgrp.0123456789abcdef"},
		{name: "token id differs from the name", token: "wrngid.0123456789abcdef"},
		{name: "not a bootstrap token secret", token: "opaque.0123456789abcdef"},
		{name: "no such secret", token: "zzzzzz.0123456789abcdef"},
		{name: "not a bootstrap token", token: "not-a-bootstrap-token"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			u, ok, err := a.AuthenticateToken(ctx, tc.token)
			if err != nil || ok != (tc.want != nil) || !reflect.DeepEqual(u, tc.want) {
				t.Fatalf("AuthenticateToken = %+v,%v,%v; want %+v", u, ok, err, tc.want)
			}
		})
	}
	t.Run("a secret being deleted does not authenticate", func(t *testing.T) {
		secret("final1", nil, func(s *corev1.Secret) { s.Finalizers = []string{"example.com/hold"} })
		if err := cs.CoreV1().Secrets("kube-system").Delete(ctx, "bootstrap-token-final1", metav1.DeleteOptions{}); err != nil {
			t.Fatal(err)
		}
		if u, ok, err := a.AuthenticateToken(ctx, "final1.0123456789abcdef"); ok || err != nil {
			t.Fatalf("AuthenticateToken = %+v,%v,%v; want no opinion", u, ok, err)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	for _, s := range []string{"abcdef.0123456789abcdef", "ABCDEF.0123456789abcdef", "abcdef.0123456789abcdef\n", "a.b", "abcdef0123456789abcdefg", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, token string) {
		id, secret, ok := bootstraptoken.ParseToken(token)
		if !ok {
			return
		}
		if len(id) != 6 || len(secret) != 16 || id+"."+secret != token {
			t.Fatalf("ParseToken(%q) = %q, %q", token, id, secret)
		}
		for _, c := range id + secret {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
				t.Fatalf("ParseToken(%q) accepted %q", token, c)
			}
		}
	})
}
